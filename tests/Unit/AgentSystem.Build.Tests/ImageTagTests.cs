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
