using System.Text.RegularExpressions;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build;

internal partial class Build
{
    [Parameter("PruneImages also trims Docker's build cache, every project's on this engine, to this size (e.g. 5GB), least recently used first", Values = "size")]
    private readonly string KeepBuildCache = "";

    [Parameter("PruneImages lists the tags and images it would remove, and removes nothing")]
    private readonly bool DryRun;

    private Target PruneImages => _ => _
        .Description("Removes the service images builds left behind: keeps the tags containers were made from, :dev and this commit's; --keep-build-cache SIZE trims the build cache")
        .DependsOn(DockerEngine)
        .Reads(() => KeepBuildCache, () => DryRun)
        .Validates(BuildCacheSizeProblems)
        .Executes(() =>
        {
            var pruner = new ImagePruner(Docker.Cli, CancellationToken);
            var before = pruner.Sizes();
            var services = (Changes.Catalog?.Services ?? []).Where(HasDockerfile).ToList();
            var repositories = services.Select(s => ImageName(s, "")[..^1]).ToList();
            var used = pruner.Used();
            var usedIds = used.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
            var commit = ShortCommit();
            var tags = pruner.Tags(repositories);
            var doomed = ImagePruner.TagsToRemove(tags, used, commit);
            Log.Info($"{tags.Count} tag(s) of {repositories.Count} repositories ({string.Join(", ", repositories)}); {doomed.Count} to remove "
                + $"(kept: the tags containers were made from, :dev, and this commit's, {commit}*).");
            if (DryRun)
            {
                foreach (var tag in doomed)
                {
                    Log.Info($"  would remove {tag}");
                }

                // Removing an image's last tag removes the image; the untagged ones of earlier builds go after the tags.
                var untaggedNow = pruner.Untagged(services.Select(s => s.Name)).Where(id => !usedIds.Contains(id)).ToList();
                foreach (var id in untaggedNow)
                {
                    Log.Info($"  would remove untagged image {id}");
                }

                var losingEveryTag = tags.GroupBy(t => t.Id).Where(image => !usedIds.Contains(image.Key) && image.All(t => doomed.Contains(t.Reference)))
                    .Select(image => image.Key).ToList();
                var freed = FreedAtLeast(pruner, [.. losingEveryTag, .. untaggedNow]);
                Log.Success($"--dry-run: nothing removed; {losingEveryTag.Count} image(s) would go with their last tag above, and {untaggedNow.Count} untagged image(s), "
                    + $"freeing {freed} of the engine's {before.Images} of images"
                    + (KeepBuildCache.Length > 0 ? $", and the build cache ({before.BuildCache}) would be trimmed to {KeepBuildCache}." : "."));
                return;
            }

            var (tagsRemoved, tagsRefused) = pruner.Remove(doomed);
            // After the tags: an image whose last tag just went is untagged now.
            var untagged = pruner.Untagged(services.Select(s => s.Name)).Where(id => !usedIds.Contains(id)).ToList();
            var (imagesRemoved, imagesRefused) = pruner.Remove(untagged);
            foreach (var refusal in tagsRefused.Concat(imagesRefused))
            {
                Log.Warning(refusal);
            }

            if (KeepBuildCache.Length > 0)
            {
                pruner.TrimBuildCache(KeepBuildCache);
            }

            var after = pruner.Sizes();
            Log.Success($"Removed {tagsRemoved} tag(s) and {imagesRemoved} untagged image(s): the engine's images {before.Images} -> {after.Images}, "
                + $"build cache {before.BuildCache} -> {after.BuildCache}"
                + (KeepBuildCache.Length > 0 ? "." : $" (--keep-build-cache 5GB trims it; it is every project's on this engine)."));
        });

    /// <summary>"at least 234.4 MB (...)", what the images' layers no other image shares take; an estimate only, so a docker that cannot say is no failure.</summary>
    private static string FreedAtLeast(ImagePruner pruner, IReadOnlyList<string> images)
    {
        try
        {
            var unique = pruner.UniqueSizes();
            return $"at least {Megabytes(images.Sum(id => unique.GetValueOrDefault(id)))} (their layers no other image shares)";
        }
        catch (Exception error) when (error is ToolFailedException or System.Text.Json.JsonException)
        {
            return $"an unknown amount (docker system df -v: {error.Message.Split('\n')[0]})";
        }
    }

    private IEnumerable<string> BuildCacheSizeProblems()
    {
        if (KeepBuildCache.Length == 0)
        {
            yield break;
        }

        if (!DockerSize().IsMatch(KeepBuildCache))
        {
            yield return $"--keep-build-cache: '{KeepBuildCache}' is no size (a number of bytes, or with KB, MB, GB, TB or PB: 5GB).";
        }
        else if (!KeepBuildCache.Any(c => char.IsAsciiDigit(c) && c != '0'))
        {
            // helper-104: accepted, it would have emptied every project's cache on the engine.
            yield return $"--keep-build-cache: '{KeepBuildCache}' keeps nothing of the build cache, every project's on this engine: "
                + "give a size to keep (5GB), or run docker builder prune yourself if that is what you mean.";
        }
    }

    // Docker's own reading of a size (go-units RAMInBytes): 5GB, 5G, 5GiB, 500mb, 1048576.
    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)? ?[kmgtp]?i?b?$", RegexOptions.IgnoreCase)]
    private static partial Regex DockerSize();
}
