using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Docker;

/// <summary>
/// Removes the service images that builds left behind: each build tags its commit (and its changes' hash), so the tags
/// and images pile up (Skaffold's users report tens of GB). Keeps the tags containers were made from (any checkout's,
/// running or stopped), what <c>:dev</c> names, and this checkout's commit's tags; removes the rest, and the untagged
/// images a moved tag left, known by the labels every build sets. <c>docker image rm</c> without force: an image in use is
/// never removed, only its other tags.
/// </summary>
public sealed partial class ImagePruner(string docker, CancellationToken cancellationToken)
{
    /// <summary>One tag of a repository image: "agentsystem/worker:1a2b3c4d5e6f" and its image id.</summary>
    public sealed record TaggedImage(string Reference, string Id)
    {
        public string Tag => Reference[(Reference.LastIndexOf(':') + 1)..];
    }

    /// <summary>A container's image: its id, and the reference the container was made from ("agentsystem/worker:1a2b3c4d5e6f").</summary>
    public sealed record UsedImage(string Id, string Reference);

    /// <summary>
    /// The tags to remove: not dev, not one of this checkout's commit (<paramref name="commit"/>, short), and not what a
    /// container was made from. An image a container uses keeps only those of its tags (an unchanged service's image
    /// carries every commit's tag since it was built: 26 of one service's on a machine); one whose containers were made
    /// from none of its tags (an id, or a tag that moved since) keeps them all, so it stays named.
    /// </summary>
    public static IReadOnlyList<string> TagsToRemove(IReadOnlyList<TaggedImage> tags, IReadOnlyCollection<UsedImage> used, string commit)
    {
        var madeFrom = used.Select(u => Normalized(u.Reference)).ToHashSet(StringComparer.Ordinal);
        var keepEveryTag = used.Select(u => u.Id)
            .Where(id => !tags.Any(t => t.Id == id && madeFrom.Contains(t.Reference))).ToHashSet(StringComparer.Ordinal);
        return [.. tags
            .Where(t => t.Tag != "dev" && !t.Tag.StartsWith(commit, StringComparison.Ordinal) && !madeFrom.Contains(t.Reference) && !keepEveryTag.Contains(t.Id))
            .Select(t => t.Reference)];
    }

    /// <summary>A reference as <c>docker image ls</c> names it: no docker.io prefix, ":latest" when it has no tag.</summary>
    private static string Normalized(string reference)
    {
        foreach (var prefix in (string[])["docker.io/library/", "docker.io/"])
        {
            if (reference.StartsWith(prefix, StringComparison.Ordinal))
            {
                reference = reference[prefix.Length..];
                break;
            }
        }

        return reference.Contains('@', StringComparison.Ordinal) || reference[(reference.LastIndexOf('/') + 1)..].Contains(':', StringComparison.Ordinal)
            ? reference
            : reference + ":latest";
    }

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

    /// <summary>The image of every container, running or stopped: its id and the reference the container was made from.</summary>
    public IReadOnlyList<UsedImage> Used()
    {
        var containers = Lines(["ps", "--all", "--quiet", "--no-trunc"]);
        return containers.Count == 0 ? [] : [.. Lines(["inspect", "--format", "{{.Image}} {{.Config.Image}}", .. containers])
            .Select(line => line.Split(' ', 2))
            .Select(parts => new UsedImage(parts[0], parts.Length > 1 ? parts[1] : ""))];
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

    /// <summary>
    /// Each image's unique size in bytes, by full id: what its layers take that no other image shares, from <c>docker
    /// system df -v</c>. Removing a set of images frees at least the sum of theirs (layers only they share come on top).
    /// </summary>
    public IReadOnlyDictionary<string, long> UniqueSizes()
    {
        var result = ProcessRunner.Capture(docker, ["system", "df", "-v", "--format", "{{json .Images}}"], cancellationToken: cancellationToken);
        return result.ExitCode != 0
            ? throw new ToolFailedException($"docker system df failed: {result.Error.Trim()}", result.ExitCode)
            : ParseUniqueSizes(result.Output);
    }

    internal static IReadOnlyDictionary<string, long> ParseUniqueSizes(string json)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json.Trim());
        foreach (var image in document.RootElement.EnumerateArray())
        {
            if (image.TryGetProperty("ID", out var id) && image.TryGetProperty("UniqueSize", out var size) && Bytes(size.GetString() ?? "") is { } bytes)
            {
                sizes[id.GetString()!] = bytes;   // one entry per tag, the same figure
            }
        }

        return sizes;
    }

    /// <summary>A size as Docker prints it (go-units, decimal): "18.2MB", "512kB", "0B"; null when it is none.</summary>
    internal static long? Bytes(string size)
    {
        var match = DockerHumanSize().Match(size.Trim());
        if (!match.Success)
        {
            return null;
        }

        var factor = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "B" => 1d, "KB" => 1e3, "MB" => 1e6, "GB" => 1e9, "TB" => 1e12, _ => 1e15,
        };
        return (long)(double.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture) * factor);
    }

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]+)?)(?<unit>[kMGTP]?B)$", RegexOptions.IgnoreCase)]
    private static partial Regex DockerHumanSize();

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
