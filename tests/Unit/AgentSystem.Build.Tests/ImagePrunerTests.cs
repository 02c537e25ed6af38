using AgentSystem.Build.Docker;

namespace AgentSystem.Build.Tests;

/// <summary>Tags and images builds left behind (248 tags on a machine after a few days), removed without touching what is in use.</summary>
public sealed class ImagePrunerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("prune-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Keeps_the_tags_containers_were_made_from_dev_and_this_commits_and_removes_the_rest()
    {
        ImagePruner.TaggedImage[] tags =
        [
            new("agentsystem/worker:1111aaaa2222", "sha256:old"),
            new("agentsystem/worker:1111aaaa2222-dirty-0badf00d", "sha256:older"),
            new("agentsystem/worker:c0be0fbf1fa1", "sha256:head"),
            new("agentsystem/worker:c0be0fbf1fa1-dirty-eb007afd", "sha256:mine"),
            new("agentsystem/worker:dev", "sha256:dev"),
            new("agentsystem/worker:3333cccc4444", "sha256:running"),
            new("agentsystem/worker:5555dddd6666", "sha256:running"),   // the same image, tagged again by a later commit
        ];

        var removed = ImagePruner.TagsToRemove(tags, [new("sha256:running", "docker.io/agentsystem/worker:5555dddd6666")], "c0be0fbf1fa1");

        Assert.Equal(["agentsystem/worker:1111aaaa2222", "agentsystem/worker:1111aaaa2222-dirty-0badf00d", "agentsystem/worker:3333cccc4444"], removed);
    }

    /// <summary>A container made from an id, or from a tag that has moved since, names none of its image's tags: they all stay.</summary>
    [Fact]
    public void An_image_used_by_a_container_made_from_none_of_its_tags_keeps_every_tag()
    {
        ImagePruner.TaggedImage[] tags =
        [
            new("agentsystem/worker:3333cccc4444", "sha256:running"),
            new("agentsystem/worker:5555dddd6666", "sha256:running"),
            new("agentsystem/worker:7777eeee8888", "sha256:other"),
        ];

        var removed = ImagePruner.TagsToRemove(tags, [new("sha256:running", "sha256:running"), new("sha256:running", "agentsystem/worker")], "c0be0fbf1fa1");

        Assert.Equal(["agentsystem/worker:7777eeee8888"], removed);
    }

    /// <summary>What docker prints is read as it prints it, and a refusal (an image in use) is counted as one, not as removed.</summary>
    [Fact]
    public void Reads_docker_and_counts_what_it_refused()
    {
        var docker = Path.Combine(_folder, "docker");
        FakeClusterTools.WriteExecutable(docker, """
            #!/bin/sh
            echo "$*" >> "$0.log"
            case "$*" in
              "image ls agentsystem/worker --no-trunc"*) printf 'agentsystem/worker:dev sha256:a\nagentsystem/worker:<none> sha256:b\nagentsystem/worker:1111aaaa2222 sha256:c\n' ;;
              "image ls --quiet --no-trunc --filter dangling=true --filter label=org.opencontainers.image.title=worker"*) printf 'sha256:d\n' ;;
              "ps --all --quiet --no-trunc") printf 'c1\nc2\n' ;;
              "inspect --format {{.Image}} {{.Config.Image}} c1 c2") printf 'sha256:a agentsystem/worker:dev\nsha256:a sha256:a\n' ;;
              "image rm"*) echo "Untagged: x"; echo "Error response from daemon: conflict: unable to remove repository reference (must force) - container c1 is using its referenced image" >&2 ;;
              "system df -v"*) printf '[{"ID":"sha256:c","Tag":"1111aaaa2222","UniqueSize":"18.2MB"},{"ID":"sha256:c","Tag":"2222bbbb3333","UniqueSize":"18.2MB"},{"ID":"sha256:d","UniqueSize":"512kB"},{"ID":"sha256:e","UniqueSize":"N/A"}]\n' ;;
              "system df"*) printf 'Images|1.9GB\nContainers|74MB\nBuild Cache|15.3GB\n' ;;
            esac
            """);
        var pruner = new ImagePruner(docker, CancellationToken.None);

        Assert.Equal([new("agentsystem/worker:dev", "sha256:a"), new("agentsystem/worker:1111aaaa2222", "sha256:c")], pruner.Tags(["agentsystem/worker"]));
        Assert.Equal(["sha256:d"], pruner.Untagged(["worker"]));
        Assert.Equal([new("sha256:a", "agentsystem/worker:dev"), new("sha256:a", "sha256:a")], pruner.Used());
        Assert.Equal(("1.9GB", "15.3GB"), pruner.Sizes());
        Assert.Equal(new Dictionary<string, long> { ["sha256:c"] = 18_200_000, ["sha256:d"] = 512_000 }, pruner.UniqueSizes());
        var (removed, refused) = pruner.Remove(["agentsystem/worker:1111aaaa2222", "sha256:d"]);
        Assert.Equal(1, removed);
        Assert.Contains("container c1 is using its referenced image", Assert.Single(refused), StringComparison.Ordinal);
        Assert.Contains("image rm agentsystem/worker:1111aaaa2222 sha256:d", File.ReadAllText(docker + ".log"), StringComparison.Ordinal);
    }
}
