using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Kubernetes;

/// <summary>One overlay rendered by kustomize: the YAML stream and the wrapper folder its origin paths are relative to.</summary>
public sealed record RenderedOverlay(string Overlay, string Yaml, string WrapperDirectory);

/// <summary>
/// Renders the overlays under <c>k8s/overlays</c> with <c>kubectl kustomize</c>, which works offline (no cluster).
/// Each overlay is rendered through a wrapper kustomization in <c>artifacts/kustomize/&lt;overlay&gt;/</c> that asks
/// kustomize to annotate every object with the file it came from, and that can set image tags (what a deploy built);
/// the output is kept beside it as rendered.yaml, to read by hand, readable by its user alone: it holds the overlay's
/// Secrets (base64 is no cover), which may come from files only that user can read.
/// </summary>
public sealed class Kustomize(string root, string kubectl = "kubectl")
{
    public const string OverlaysFolder = "k8s/overlays";

    /// <summary>The overlays: every folder below k8s/overlays holding a kustomization.yaml, by name.</summary>
    public static IReadOnlyList<string> Overlays(string root)
    {
        var folder = Path.Combine(root, OverlaysFolder);
        return Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder)
                .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
                .Select(d => Path.GetFileName(d)!)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
    }

    /// <summary>Renders one overlay; throws <see cref="KustomizeException"/> when kustomize rejects it.</summary>
    /// <param name="imageTags">Image name to tag ("agentsystem/gateway" -> "3f2a9c1"), for the images a deploy built.</param>
    public RenderedOverlay Render(string overlay, IReadOnlyDictionary<string, string>? imageTags = null,
        CancellationToken cancellationToken = default)
    {
        var wrapper = Path.Combine(root, "artifacts", "kustomize", overlay);
        Directory.CreateDirectory(wrapper);
        // kustomize refuses absolute resource paths, so the wrapper names the overlay relative to itself.
        var target = Path.GetRelativePath(wrapper, Path.Combine(root, OverlaysFolder, overlay)).Replace('\\', '/');
        var images = (imageTags ?? new Dictionary<string, string>())
            .OrderBy(i => i.Key, StringComparer.Ordinal)
            .Select(i => $"  - name: {i.Key}\n    newTag: \"{i.Value}\"\n");
        File.WriteAllText(Path.Combine(wrapper, "kustomization.yaml"), $"""
            # Written by the build: renders {OverlaysFolder}/{overlay} with each object's source file annotated.
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {target}
            buildMetadata: [originAnnotations]
            images:{(imageTags is { Count: > 0 } ? "\n" + string.Concat(images).TrimEnd('\n') : " []")}

            """);

        ProcessResult result;
        try
        {
            result = ProcessRunner.Capture(kubectl, ["kustomize", wrapper], root, cancellationToken: cancellationToken);
        }
        catch (ToolFailedException e) when (e.ExitCode == -1)
        {
            throw new TargetFailedException(
                $"{kubectl} is not installed (or not on PATH). The overlays are rendered with `kubectl kustomize`, which needs no " +
                "cluster: install kubectl (https://kubernetes.io/docs/tasks/tools/), or leave the target out with --skip ValidateManifests.");
        }
        if (result.ExitCode != 0)
        {
            throw new KustomizeException($"kubectl kustomize {OverlaysFolder}/{overlay} failed: {result.Error.Trim()}");
        }

        WriteForTheUserAlone(Path.Combine(wrapper, "rendered.yaml"), result.Output);
        return new RenderedOverlay(overlay, result.Output, wrapper);
    }

    /// <summary>A new file of mode 0600 (an earlier run's, which may be 0644, is replaced, not rewritten in place).</summary>
    private static void WriteForTheUserAlone(string path, string text)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, options);
        writer.Write(text);
    }
}

/// <summary>kustomize rejected an overlay (a missing file, a bad patch); the message is kustomize's.</summary>
public sealed class KustomizeException(string message) : Exception(message);
