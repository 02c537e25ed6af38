using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Monorepo;

/// <summary>The few git questions affected detection asks; every path is relative to the root with '/'.</summary>
public sealed class Git(string root)
{
    private static readonly Dictionary<string, string> English = new() { ["LC_ALL"] = "C" };

    public string Root { get; } = root;

    /// <summary>Tracked files plus untracked ones that are not ignored, and which of them are untracked.</summary>
    public (IReadOnlyList<string> Files, IReadOnlySet<string> Untracked) ListFiles()
    {
        var output = Run("ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard");
        var files = new List<string>();
        var untracked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "-t" prefixes a status letter and a space: "H " cached, "? " untracked.
            var path = entry[2..];
            if (entry[0] == '?')
            {
                untracked.Add(path);
            }
            else if (files.Count > 0 && files[^1] == path)
            {
                continue; // a conflicted file is listed once per stage
            }

            files.Add(path);
        }
        return (files, untracked);
    }

    /// <summary>Files that differ between <paramref name="baseCommit"/> and the work tree, staged or not.</summary>
    public IReadOnlyList<string> ChangedSince(string baseCommit) =>
        Run("diff", "--name-only", "-z", "--no-renames", baseCommit, "--")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The commit a ref names, or null when it names none.</summary>
    public string? ResolveCommit(string reference)
    {
        var result = ProcessRunner.Capture("git", ["rev-parse", "--verify", "--quiet", reference + "^{commit}"], Root);
        return result.ExitCode == 0 ? result.Output.Trim() : null;
    }

    /// <summary>The best common ancestor; none when the two share no commit, or (NoSuchCommit) when one names no commit.</summary>
    public (string? Commit, bool NoSuchCommit) MergeBase(string a, string b)
    {
        var result = ProcessRunner.Capture("git", ["merge-base", a, b], Root);
        // git merge-base exits 1 when there is no common ancestor, 128 when a name is not a commit.
        return result.ExitCode == 0 ? (result.Output.Trim(), false) : (null, result.ExitCode != 1);
    }

    /// <summary>A file's text at a commit; null when it did not exist there.</summary>
    public string? Show(string commit, string path)
    {
        var result = ProcessRunner.Capture("git", ["show", $"{commit}:{path}"], Root);
        return result.ExitCode == 0 ? result.Output : null;
    }

    /// <summary>The short names of every branch (local and remote-tracking) and tag, for a suggestion.</summary>
    public IReadOnlyList<string> RefNames() =>
        Run("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes", "refs/tags")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public bool IsShallow() => Run("rev-parse", "--is-shallow-repository").Trim() == "true";

    private string Run(params string[] arguments)
    {
        // In English whatever the user's locale: a failure is told apart by its text below.
        var result = ProcessRunner.Capture("git", ["-c", "core.quotepath=off", .. arguments], Root, English);
        if (result.ExitCode == 0)
        {
            return result.Output;
        }

        // A downloaded archive of the repository, say: how it was run, not a fault of the build.
        throw result.Error.Contains("not a git repository", StringComparison.OrdinalIgnoreCase)
            ? new UsageException($"{Root} is not a git repository (a downloaded archive?): the build lists the projects and what changed with git. Clone the repository with git instead.")
            : new InvalidOperationException($"git {string.Join(' ', arguments)} failed in {Root}: {result.Error.Trim()}");
    }
}
