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
    public void A_new_folders_files_count_and_a_deleted_path_differs_from_an_empty_file()
    {
        Write(_one, "services/worker/Handlers/New.cs", "class New;");
        var folder = Build.ChangesHash(_one, ["services/worker/Handlers/"]);
        Write(_one, "services/worker/Handlers/Newer.cs", "class Newer;");

        Assert.NotEqual(folder, Build.ChangesHash(_one, ["services/worker/Handlers/"]));
        Write(_one, "empty.txt", "");
        Assert.NotEqual(Build.ChangesHash(_one, ["empty.txt"]), Build.ChangesHash(_one, ["gone.txt"]));
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
