using System.Text.Json;
using System.Xml;

namespace AgentSystem.Build.Monorepo;

public enum ProjectKind { Dotnet, Node }

/// <summary>A project read from its file alone: no MSBuild evaluation, so thousands load in well under a second.</summary>
public sealed record RepoProject(string Path, ProjectKind Kind, string Name, bool IsTest, IReadOnlyList<string> References, IReadOnlyList<string> Imports)
{
    /// <summary>The folder that holds the project file ("" at the root).</summary>
    public string Directory => PathUtil.DirectoryOf(Path);
}

/// <summary>Every project in the repository and who references whom.</summary>
public sealed class ProjectGraph
{
    private readonly Dictionary<string, RepoProject> _byPath;
    private readonly Dictionary<string, List<RepoProject>> _byDirectory;
    private readonly Dictionary<string, List<RepoProject>> _dependents;
    private readonly Dictionary<string, List<RepoProject>> _importers;

    public IReadOnlyList<RepoProject> Projects { get; }

    private ProjectGraph(IReadOnlyList<RepoProject> projects)
    {
        Projects = projects;
        _byPath = projects.ToDictionary(p => p.Path, StringComparer.Ordinal);
        _byDirectory = projects.GroupBy(p => p.Directory, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        _dependents = new Dictionary<string, List<RepoProject>>(StringComparer.Ordinal);
        _importers = new Dictionary<string, List<RepoProject>>(StringComparer.Ordinal);
        foreach (var project in projects)
        {
            foreach (var reference in project.References) Add(_dependents, reference, project);
            foreach (var import in project.Imports) Add(_importers, import, project);
        }
    }

    public RepoProject? Find(string path) => _byPath.GetValueOrDefault(path);

    /// <summary>Projects whose file references <paramref name="path"/>.</summary>
    public IReadOnlyList<RepoProject> DependentsOf(string path) => _dependents.GetValueOrDefault(path) ?? [];

    /// <summary>Projects that import (or explicitly include) the file at <paramref name="path"/>.</summary>
    public IReadOnlyList<RepoProject> ImportersOf(string path) => _importers.GetValueOrDefault(path) ?? [];

    /// <summary>The projects of the deepest folder, at or above the file's, that holds a project.</summary>
    public IReadOnlyList<RepoProject> OwnersOf(string file)
    {
        for (var dir = PathUtil.DirectoryOf(file); ; dir = PathUtil.DirectoryOf(dir))
        {
            if (_byDirectory.TryGetValue(dir, out var owners)) return owners;
            if (dir.Length == 0) return [];
        }
    }

    public IEnumerable<RepoProject> Below(string directory, ProjectKind kind) =>
        Projects.Where(p => p.Kind == kind && PathUtil.IsUnder(p.Path, directory));

    public static bool IsProjectFile(string path) =>
        path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase) ||
        (PathUtil.FileName(path) == "package.json" && !path.Contains("node_modules/", StringComparison.Ordinal));

    /// <summary>Reads every project file among <paramref name="files"/>, in parallel.</summary>
    public static ProjectGraph Load(string root, IEnumerable<string> files)
    {
        var projectFiles = files.Where(IsProjectFile).ToArray();
        var projects = new RepoProject[projectFiles.Length];
        Parallel.For(0, projectFiles.Length, i =>
        {
            var path = projectFiles[i];
            var fullPath = System.IO.Path.Combine(root, path);
            // Still in the index but gone from the work tree (moved or deleted, not yet staged): not a project now.
            if (!File.Exists(fullPath)) return;
            projects[i] = path.EndsWith("package.json", StringComparison.Ordinal) ? ReadNodePackage(fullPath, path) : ReadMsBuildProject(fullPath, path);
        });
        return new ProjectGraph(projects.Where(p => p is not null).ToList());
    }

    private static RepoProject ReadMsBuildProject(string fullPath, string path)
    {
        var references = new List<string>();
        var imports = new List<string>();
        var isTest = false;
        var directory = PathUtil.DirectoryOf(path);
        try
        {
            using var reader = XmlReader.Create(fullPath, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true });
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element) continue;
                switch (reader.LocalName)
                {
                    case "ProjectReference":
                        AddResolved(references, directory, reader.GetAttribute("Include"));
                        break;
                    case "Import":
                        AddResolved(imports, directory, reader.GetAttribute("Project"));
                        break;
                    case "Compile" or "Content" or "None" or "EmbeddedResource" when reader.GetAttribute("Include") is { } include && include.StartsWith("..", StringComparison.Ordinal):
                        AddResolved(imports, directory, include);
                        break;
                    case "PackageReference" when reader.GetAttribute("Include") == "Microsoft.NET.Test.Sdk":
                        isTest = true;
                        break;
                    case "IsTestProject":
                        isTest |= string.Equals(reader.ReadElementContentAsString().Trim(), "true", StringComparison.OrdinalIgnoreCase);
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"{path} is not valid XML: {e.Message}", e);
        }
        return new RepoProject(path, ProjectKind.Dotnet, System.IO.Path.GetFileNameWithoutExtension(path), isTest, references, imports);
    }

    private static RepoProject ReadNodePackage(string fullPath, string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(fullPath));
        var rootElement = document.RootElement;
        var name = rootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : PathUtil.FileName(PathUtil.DirectoryOf(path));
        var references = new List<string>();
        var directory = PathUtil.DirectoryOf(path);
        foreach (var section in new[] { "dependencies", "devDependencies" })
        {
            if (!rootElement.TryGetProperty(section, out var dependencies) || dependencies.ValueKind != JsonValueKind.Object) continue;
            foreach (var dependency in dependencies.EnumerateObject())
            {
                // Local packages ("file:../shared-ui") are the node counterpart of a ProjectReference.
                if (dependency.Value.GetString() is { } spec && spec.StartsWith("file:", StringComparison.Ordinal))
                    AddResolved(references, directory, PathUtil.Combine(spec[5..], "package.json"));
            }
        }
        return new RepoProject(path, ProjectKind.Node, name, IsTest: false, references, []);
    }

    /// <summary>Resolves a path written in a project file; MSBuild properties other than the project's folder are left out.</summary>
    private static void AddResolved(List<string> into, string projectDirectory, string? written)
    {
        if (string.IsNullOrWhiteSpace(written) || written.Contains('*', StringComparison.Ordinal)) return;
        var text = written.Replace("$(MSBuildThisFileDirectory)", "", StringComparison.OrdinalIgnoreCase)
                          .Replace("$(MSBuildProjectDirectory)", "", StringComparison.OrdinalIgnoreCase);
        if (text.Contains("$(", StringComparison.Ordinal)) return;
        if (PathUtil.Normalize(PathUtil.Combine(projectDirectory, text)) is { } resolved) into.Add(resolved);
    }

    private static void Add(Dictionary<string, List<RepoProject>> index, string key, RepoProject project)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(project);
    }
}
