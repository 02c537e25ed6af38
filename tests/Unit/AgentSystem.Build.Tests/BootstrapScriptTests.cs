using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>
/// A copy of what the bootstrap scripts need (build/, build.sh, build.ps1, the root MSBuild, SDK and tool files, the
/// sources the build program's project links from elsewhere) in a throwaway git repository, reached through a symbolic link as a user's clone may
/// be. build.sh compiles the build program once, through the link; PowerShell 7.6.9 comes from the repository's tool
/// manifest (dotnet tool restore).
/// </summary>
public sealed class BootstrapRepo : IDisposable
{
    private static readonly string[] Copied =
    [
        "build.sh", "build.ps1", "global.json", "Directory.Build.props", "Directory.Packages.props", "nuget.config", ".editorconfig",
        ".gitignore", ".config/dotnet-tools.json", ".nuke/parameters.json", ".nuke/build.schema.json",
    ];

    /// <summary>The sources build/_build.csproj compiles from elsewhere (<c>&lt;Compile Include="../..."&gt;</c>), as paths from the root.</summary>
    private static IEnumerable<string> LinkedSources(string root) =>
        System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(root, "build", "_build.csproj")), "<Compile Include=\"\\.\\./([^\"]+)\"")
            .Select(match => match.Groups[1].Value);

    /// <summary>Nothing of the machine's CI or GitHub context may reach the copy's runs.</summary>
    public static readonly Dictionary<string, string> ChildEnvironment = new()
    {
        ["GITHUB_OUTPUT"] = "", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0", ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_NOLOGO"] = "1",
    };

    public string Real { get; }
    public string Link { get; }
    /// <summary>build.sh --help through the link: the build program's first compile.</summary>
    public ProcessResult FirstRun { get; }

    public BootstrapRepo()
    {
        var source = SourceRoot();
        Real = Directory.CreateTempSubdirectory("bootstrap-").FullName;
        foreach (var file in Copied.Concat(LinkedSources(source)))
        {
            Copy(Path.Combine(source, file), Path.Combine(Real, file));
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(source, "build"), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            {
                continue;
            }

            Copy(file, Path.Combine(Real, relative));
        }
        // A solution without the build project: Compile then fails the way a user's forgotten `dotnet sln add` does.
        File.WriteAllText(Path.Combine(Real, "AgentSystem.sln"), "Microsoft Visual Studio Solution File, Format Version 12.00\n");
        Git("init", "-q", "-b", "main");
        Git("add", "-A");
        Git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "copy");

        Link = Path.Combine(Path.GetTempPath(), $"bootstrap-link-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(Link, Real);
        FirstRun = Run(Path.Combine(Link, "build.sh"), "--help");
    }

    /// <summary>The repository these tests were built from: the folder above them that holds .nuke and build.ps1.</summary>
    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".nuke")) && File.Exists(Path.Combine(dir.FullName, "build.ps1")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No repository root (a folder with .nuke and build.ps1) above {AppContext.BaseDirectory}.");
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to);
    }

    private void Git(params string[] arguments)
    {
        var result = ProcessRunner.Capture("git", arguments, Real);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {result.Error}");
        }
    }

    /// <summary>Runs a program in the copy (through the link), with a bound on how long it may take.</summary>
    public ProcessResult Run(string program, params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        return ProcessRunner.Capture(program, arguments, Link, ChildEnvironment, timeout.Token);
    }

    public void Dispose()
    {
        Directory.Delete(Link);
        try { Directory.Delete(Real, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>build.sh and build.ps1 run as users run them; build.ps1 with PowerShell 7.6.9 on Linux.</summary>
public sealed class BootstrapScriptTests(BootstrapRepo repo) : IClassFixture<BootstrapRepo>
{
    private ProcessResult PowerShell(params string[] arguments)
    {
        // The test restores the tool itself, so a fresh machine (and CI) runs it; when it cannot, it says why.
        var restore = repo.Run("dotnet", "tool", "restore");
        Assert.True(restore.ExitCode == 0,
            $"PowerShell 7.6.9 could not be restored from the local tool manifest (.config/dotnet-tools.json), so build.ps1 cannot be run: " +
            $"'dotnet tool restore' exited with {restore.ExitCode}.\n{restore.Output}\n{restore.Error}");
        // "--" ends dotnet's own options, or it would take --help for itself.
        return repo.Run("dotnet", ["tool", "run", "pwsh", "--", "-NoProfile", "-NonInteractive", "-File", Path.Combine(repo.Link, "build.ps1"), .. arguments]);
    }

    private static string Printed(ProcessResult result) => result.Output + result.Error;

    [Fact]
    public void Build_sh_compiles_the_build_program_through_a_symbolic_link()
    {
        Assert.True(repo.FirstRun.ExitCode == 0, Printed(repo.FirstRun));
        Assert.Contains("Compiling the build program", repo.FirstRun.Output, StringComparison.Ordinal);
        Assert.Contains("--base", repo.FirstRun.Output, StringComparison.Ordinal);
        Assert.Contains("Usage: ./build.sh ", repo.FirstRun.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_to_a_source_the_build_program_links_from_elsewhere_recompiles_it()
    {
        // Suggestions.cs lives in services/shared: a change to it alone used to leave the build program as it was.
        MakeOnlyLinkedSourceNewer();
        var sh = repo.Run(Path.Combine(repo.Link, "build.sh"), "--help");
        Assert.True(sh.ExitCode == 0, Printed(sh));
        Assert.Contains("Compiling the build program", sh.Output, StringComparison.Ordinal);

        MakeOnlyLinkedSourceNewer();
        var ps1 = PowerShell("--help");
        Assert.True(ps1.ExitCode == 0, Printed(ps1));
        Assert.Contains("Compiling the build program", ps1.Output, StringComparison.Ordinal);
    }

    // Every input older than the last compile, but the linked source newer.
    private void MakeOnlyLinkedSourceNewer()
    {
        var now = DateTime.UtcNow;
        foreach (var file in Directory.EnumerateFiles(repo.Real, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, now.AddMinutes(-2));
        }

        File.SetLastWriteTimeUtc(Path.Combine(repo.Real, ".nuke", "temp", "bin", "_build.dll"), now.AddMinutes(-1));
        File.SetLastWriteTimeUtc(Path.Combine(repo.Real, "services", "shared", "Contracts", "Suggestions.cs"), now);
    }

    [Fact]
    public void Build_ps1_prints_help()
    {
        var help = PowerShell("--help");
        Assert.True(help.ExitCode == 0, Printed(help));
        Assert.Contains("--base", help.Output, StringComparison.Ordinal);
        Assert.Contains("Affected", help.Output, StringComparison.Ordinal);
        // Its suggestions name the script the user typed.
        Assert.Contains("Usage: ./build.ps1 ", help.Output, StringComparison.Ordinal);
        Assert.Contains("./build.ps1 DeployKind", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("./build.sh", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ps1_runs_Affected()
    {
        var affected = PowerShell("Affected");
        Assert.True(affected.ExitCode == 0, Printed(affected));
        Assert.Contains("═══ Affected", affected.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(repo.Real, "artifacts", "affected.json")), Printed(affected));
    }

    [Fact]
    public void Build_ps1_exits_with_the_code_of_a_failing_target_as_build_sh_does()
    {
        var ps1 = PowerShell("Compile", "--all");
        var sh = repo.Run(Path.Combine(repo.Link, "build.sh"), "Compile", "--all");
        Assert.Equal(1, sh.ExitCode);
        Assert.True(ps1.ExitCode == 1, Printed(ps1));
        Assert.Contains("not in AgentSystem.sln", ps1.Output, StringComparison.Ordinal);

        var usage = PowerShell("NoSuchTarget");
        Assert.True(usage.ExitCode == BuildHost.UsageExitCode, Printed(usage));
    }

    [Fact]
    public void Build_ps1_passes_arguments_through_unchanged()
    {
        // Spaces, quotes, a dollar sign and a semicolon, and -Verbose, which a script with a Param block would swallow.
        string[] arguments = ["Affected", "--base", "a b; $x 'q' \"dq\"", "-Verbose"];
        var ps1 = PowerShell(arguments);
        var sh = repo.Run(Path.Combine(repo.Link, "build.sh"), arguments);
        Assert.Equal(BuildHost.UsageExitCode, sh.ExitCode);
        Assert.True(ps1.ExitCode == sh.ExitCode, Printed(ps1));
        Assert.Contains("a b; $x 'q' \"dq\" -Verbose", Printed(ps1), StringComparison.Ordinal);
        Assert.Equal(Printed(sh).Trim(), Printed(ps1).Trim());
    }
}
