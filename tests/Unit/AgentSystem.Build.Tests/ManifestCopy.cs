using AgentSystem.Build.Kubernetes;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

/// <summary>A throwaway copy of the repository's k8s/ and service catalog, to break and validate.</summary>
internal sealed class ManifestCopy : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("manifests-").FullName;

    public ManifestCopy()
    {
        var repository = RepositoryFiles.Root;
        CopyDirectory(Path.Combine(repository, "k8s"), Path.Combine(Root, "k8s"));
        Directory.CreateDirectory(Path.Combine(Root, "services"));
        File.Copy(Path.Combine(repository, ServiceCatalog.FileName), Path.Combine(Root, ServiceCatalog.FileName));
    }

    /// <summary>Replaces text that must be there, so a test cannot pass because its edit silently did nothing.</summary>
    public void Edit(string path, string from, string to)
    {
        var full = Path.Combine(Root, path);
        var text = File.ReadAllText(full);
        Assert.True(text.Contains(from, StringComparison.Ordinal), $"{path} does not contain: {from}");
        File.WriteAllText(full, text.Replace(from, to, StringComparison.Ordinal));
    }

    public void Write(string path, string content) => File.WriteAllText(Path.Combine(Root, path), content);

    public List<OverlayReport> Validate(string kubectl = "kubectl") =>
        ManifestValidator.Validate(Root, ServiceCatalog.Load(Root, []), new Kustomize(Root, kubectl));

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
