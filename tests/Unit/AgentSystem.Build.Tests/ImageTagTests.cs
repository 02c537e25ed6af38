namespace AgentSystem.Build.Tests;

/// <summary>helper-99: "-dirty" was every clone's tag at a commit, so another clone's build moved it to its own image.</summary>
public sealed class ImageTagTests : IDisposable
{
    private readonly string _one = Directory.CreateTempSubdirectory("tag-one-").FullName;
    private readonly string _two = Directory.CreateTempSubdirectory("tag-two-").FullName;

    [Fact]
    public void The_same_changes_give_the_same_hash_in_any_checkout_and_other_changes_another()
    {
        Write(_one, "services/worker/Program.cs", "// one");
        Write(_two, "services/worker/Program.cs", "// one");
        var hash = Build.ChangesHash(_one, ["services/worker/Program.cs"]);

        Assert.Matches("^[0-9a-f]{8}$", hash);
        Assert.Equal(hash, Build.ChangesHash(_two, ["services/worker/Program.cs"]));
        Write(_two, "services/worker/Program.cs", "// two");
        Assert.NotEqual(hash, Build.ChangesHash(_two, ["services/worker/Program.cs"]));
    }

    [Fact]
    public void A_deleted_file_differs_from_one_that_holds_the_word()
    {
        Write(_one, "gone.txt", "deleted");
        var present = Build.ChangesHash(_one, ["gone.txt"]);
        File.Delete(Path.Combine(_one, "gone.txt"));

        Assert.NotEqual(present, Build.ChangesHash(_one, ["gone.txt"]));
    }

    /// <summary>helper-101: quoted names (non-ASCII, spaces) were hashed as deleted, and a new folder with its ignored bin/.</summary>
    [Fact]
    public void Changed_paths_come_unquoted_renames_split_and_new_files_one_by_one_without_ignored_ones()
    {
        using var repo = new TempRepo();
        repo.Git("init", "-q", "-b", "main");
        repo.Git("config", "status.showUntrackedFiles", "no");
        repo.Write(".gitignore", "bin/\n");
        repo.Write("svc/old.cs", "a");
        repo.Write("svc/é.cs", "b");
        repo.Commit("start");
        repo.Git("mv", "svc/old.cs", "svc/new name.cs");
        repo.Append("svc/é.cs", "c");
        repo.Write("svc/New/One.cs", "x");
        repo.Write("svc/New/bin/out.dll", "y");

        // Not TempRepo.Git, which trims the first record's leading space.
        var status = AgentSystem.Build.Engine.ProcessRunner.Capture("git", [.. Build.ChangedPathsCommand, "svc"], repo.Root).Output;

        Assert.Equal(["svc/New/One.cs", "svc/new name.cs", "svc/old.cs", "svc/é.cs"], Build.ChangedPaths(status).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// helper-102: two clones with the same change built two ids under one tag (the created label was the edited file's
    /// time), and each build moved the tag to its own.
    /// </summary>
    [Fact]
    public void Clones_with_the_same_changes_ask_for_the_same_tag_and_labels_whenever_the_files_were_written()
    {
        using var repo = TempRepo.WithSampleMonorepo();
        using var clone = new TempRepo();
        repo.Git("clone", "-q", repo.Root, clone.Root);
        var one = Request(repo, DateTime.UtcNow.AddHours(-3));
        var two = Request(clone, DateTime.UtcNow);

        Assert.Matches("^agentsystem/gateway:[0-9a-f]{12}-dirty-[0-9a-f]{8}$", one.Tags[0]);
        Assert.Equal(one.Tags, two.Tags);
        Assert.Equal(one.Labels, two.Labels);
        Assert.EndsWith(one.Tags[0][one.Tags[0].LastIndexOf("-dirty-", StringComparison.Ordinal)..], one.Labels["org.opencontainers.image.revision"], StringComparison.Ordinal);
        Assert.Equal(repo.Git("log", "-1", "--format=%cI"), one.Labels["org.opencontainers.image.created"]);

        static AgentSystem.Build.Docker.ImageRequest Request(TempRepo checkout, DateTime written)
        {
            checkout.Append("services/gateway/Dockerfile", "\n# a local change\n");
            File.SetLastWriteTimeUtc(Path.Combine(checkout.Root, "services/gateway/Dockerfile"), written);
            var build = AgentSystem.Build.Engine.BuildBase.CreateAs<Build>(serverBuild: false);
            build.RootDirectory = checkout.Root;
            var catalog = AgentSystem.Build.Monorepo.ServiceCatalog.Load(checkout.Root, new AgentSystem.Build.Monorepo.Git(checkout.Root).ListFiles().Files);
            return build.ImageRequestFor(catalog.Find("gateway")!, checkout.Git("rev-parse", "--short=12", "HEAD"));
        }
    }

    private static void Write(string root, string path, string text)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    public void Dispose()
    {
        Directory.Delete(_one, recursive: true);
        Directory.Delete(_two, recursive: true);
    }
}
