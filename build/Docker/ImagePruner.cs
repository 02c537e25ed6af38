using System.Text.RegularExpressions;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Docker;

/// <summary>
/// Removes the service images that builds left behind: each build tags its commit (and its changes' hash), so the tags
/// and images pile up (Skaffold's users report tens of GB). Keeps what a container uses (any checkout's, running or
/// stopped), what <c>:dev</c> names, and this checkout's commit's tags; removes the rest, and the untagged images a moved
/// tag left, known by the labels every build sets. <c>docker image rm</c> without force: an image in use is never removed.
/// </summary>
public sealed partial class ImagePruner(string docker, CancellationToken cancellationToken)
{
    /// <summary>One tag of a repository image: "agentsystem/worker:1a2b3c4d5e6f" and its image id.</summary>
    public sealed record TaggedImage(string Reference, string Id)
    {
        public string Tag => Reference[(Reference.LastIndexOf(':') + 1)..];
    }

    /// <summary>The tags to remove: not a used image's, not dev, not one of this checkout's commit (<paramref name="commit"/>, short).</summary>
    public static IReadOnlyList<string> TagsToRemove(IEnumerable<TaggedImage> tags, IReadOnlySet<string> usedIds, string commit) =>
        [.. tags.Where(t => !usedIds.Contains(t.Id) && t.Tag != "dev" && !t.Tag.StartsWith(commit, StringComparison.Ordinal)).Select(t => t.Reference)];

    /// <summary>The repositories' tags (<c>docker image ls REPOSITORY</c>), with full image ids.</summary>
    public IReadOnlyList<TaggedImage> Tags(IEnumerable<string> repositories) =>
        [.. repositories.SelectMany(repository => Lines(["image", "ls", repository, "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]))
            .Select(line => line.Split(' '))
            .Where(parts => parts is [_, _] && !parts[0].EndsWith(":<none>", StringComparison.Ordinal))
            .Select(parts => new TaggedImage(parts[0], parts[1]))];

    /// <summary>Untagged images whose title label names one of <paramref name="services"/> and that carry a build's revision label.</summary>
    public IReadOnlyList<string> Untagged(IEnumerable<string> services) =>
        [.. services.SelectMany(service => Lines(["image", "ls", "--quiet", "--no-trunc", "--filter", "dangling=true",
            "--filter", $"label=org.opencontainers.image.title={service}", "--filter", "label=org.opencontainers.image.revision"])).Distinct()];

    /// <summary>The image ids of every container, running or stopped.</summary>
    public IReadOnlySet<string> UsedIds()
    {
        var containers = Lines(["ps", "--all", "--quiet", "--no-trunc"]);
        return containers.Count == 0 ? new HashSet<string>() : Lines(["inspect", "--format", "{{.Image}}", .. containers]).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Removes <paramref name="references"/> (tags or ids) a few at a time; returns how many went and what docker refused, by its first line.</summary>
    public (int Removed, IReadOnlyList<string> Refused) Remove(IReadOnlyList<string> references)
    {
        var removed = 0;
        var refused = new List<string>();
        foreach (var chunk in references.Chunk(50))
        {
            var result = ProcessRunner.Capture(docker, ["image", "rm", .. chunk], cancellationToken: cancellationToken);
            removed += chunk.Length - Refusals().Count(result.Error);
            refused.AddRange(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return (removed, refused);
    }

    /// <summary>Docker's images and build cache sizes, as <c>docker system df</c> prints them ("2.813GB").</summary>
    public (string Images, string BuildCache) Sizes()
    {
        var sizes = Lines(["system", "df", "--format", "{{.Type}}|{{.Size}}"]).Select(line => line.Split('|')).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return (sizes.GetValueOrDefault("Images", "?"), sizes.GetValueOrDefault("Build Cache", "?"));
    }

    /// <summary>Trims the engine's build cache (every project's) to <paramref name="keep"/>, least recently used first.</summary>
    public void TrimBuildCache(string keep)
    {
        var result = ProcessRunner.Capture(docker, ["builder", "prune", "--force", "--keep-storage", keep], cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new ToolFailedException($"docker builder prune failed: {result.Error.Trim()}", result.ExitCode);
        }
    }

    private List<string> Lines(string[] arguments)
    {
        var result = ProcessRunner.Capture(docker, arguments, cancellationToken: cancellationToken);
        return result.ExitCode != 0
            ? throw new ToolFailedException($"docker {string.Join(' ', arguments.Take(2))} failed: {result.Error.Trim()}", result.ExitCode)
            : [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    [GeneratedRegex("^Error", RegexOptions.Multiline)]
    private static partial Regex Refusals();
}
