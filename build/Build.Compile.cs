using System.Text.Json;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    private const string SolutionFile = "AgentSystem.sln";

    /// <summary>npm is a .cmd script on Windows, which Process.Start finds only by its full name.</summary>
    private static string Npm => OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Switches that keep MSBuild and the CLI from leaving server processes behind after the build.</summary>
    private static readonly Dictionary<string, string> DotnetEnvironment = new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
    };

    private List<string> AffectedDotnetProjects => Changes.Projects.Where(p => !p.EndsWith("package.json", StringComparison.Ordinal)).ToList();
    private List<string> AffectedNodePackages => Changes.Projects.Where(p => p.EndsWith("package.json", StringComparison.Ordinal)).ToList();

    /// <summary>The node packages this run's Compile built (not those it would have: --skip Compile builds none).</summary>
    private readonly HashSet<string> _nodePackagesBuilt = new(StringComparer.Ordinal);

    /// <summary>The node package folders whose engines this run checked Node against (<see cref="CheckNode"/>).</summary>
    private readonly HashSet<string> _nodeChecked = new(StringComparer.Ordinal);

    private Target Compile => _ => _
        .Description("Builds the affected .NET projects (one MSBuild run) and the affected node services (npm)")
        .WritesOutputs()
        .DependsOn(Affected)
        .Touches(() => AffectedEntries)
        .RunsBecause(() => AffectedDotnetProjects.Count == 0 && AffectedNodePackages.Count == 0 ? "no-op: nothing affected" : null)
        .Executes(() =>
        {
            if (AffectedDotnetProjects.Count == 0 && AffectedNodePackages.Count == 0)
            {
                Log.Info(All ? "Nothing to compile." : "Nothing to compile (--all compiles everything).");
                return;
            }
            // Before the .NET build's minutes: a Node too old for a package fails now, not after them.
            foreach (var package in AffectedNodePackages)
            {
                CheckNode(Path.Combine(RootDirectory, PathUtil.DirectoryOf(package)));
            }
            if (AffectedDotnetProjects.Count > 0)
            {
                var filter = WriteSolutionFilter("affected.slnf", AffectedDotnetProjects);
                Log.Info($"dotnet build: {AffectedDotnetProjects.Count} project(s) through {Path.GetRelativePath(RootDirectory, filter)}");
                ProcessRunner.Run("dotnet", ["build", filter, "-c", Configuration.ToString(), "-nodeReuse:false", "--disable-build-servers", "-clp:Summary"],
                    RootDirectory, DotnetEnvironment, CancellationToken);
            }
            foreach (var package in AffectedNodePackages)
            {
                var folder = Path.Combine(RootDirectory, PathUtil.DirectoryOf(package));
                NpmInstallIfStale(folder);
                ProcessRunner.Run(Npm, ["run", "build"], folder, cancellationToken: CancellationToken);
                _nodePackagesBuilt.Add(package);
            }
        });

    /// <summary>A solution filter over AgentSystem.sln holding exactly <paramref name="projects"/>, so one MSBuild run builds them.</summary>
    private string WriteSolutionFilter(string fileName, IReadOnlyList<string> projects)
    {
        var inSolution = SolutionProjects();
        var missing = projects.Where(p => !inSolution.Contains(p)).ToList();
        if (missing.Count > 0)
        {
            throw new TargetFailedException(
                $"{string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not in {SolutionFile}; add with: dotnet sln {SolutionFile} add {string.Join(" ", missing)}");
        }
        Directory.CreateDirectory(BuildArtifacts);
        var path = Path.Combine(BuildArtifacts, fileName);
        var solutionPath = Path.GetRelativePath(BuildArtifacts, Path.Combine(RootDirectory, SolutionFile));
        var content = new { solution = new { path = solutionPath.Replace('\\', '/'), projects } };
        File.WriteAllText(path, JsonSerializer.Serialize(content, IndentedJson));
        return path;
    }

    private HashSet<string> SolutionProjects()
    {
        var lines = File.ReadAllLines(Path.Combine(RootDirectory, SolutionFile));
        // Project("{type}") = "Name", "relative\path.csproj", "{guid}"
        return lines.Where(l => l.StartsWith("Project(", StringComparison.Ordinal))
            .Select(l => l.Split('"'))
            .Where(parts => parts.Length > 5 && parts[5].EndsWith("proj", StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[5].Replace('\\', '/'))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// A node service's tests in the catalog's <c>testedBy</c> need its build: the system tests serve the frontend's dist/
    /// to a real browser (SystemFixture). A run of them builds it when this run's Compile did not (the service not
    /// affected, or Compile skipped), so a run for one service neither fails for a page never built nor tests one built
    /// from other sources.
    /// </summary>
    private void BuildNodeServicesTestedBy(IReadOnlyCollection<string> testProjects)
    {
        var needed = (Changes.Catalog?.Services ?? [])
            .Where(s => s.Kind == ServiceKind.Node && s.TestedBy.Any(testProjects.Contains) && !_nodePackagesBuilt.Contains(s.Project));
        foreach (var service in needed)
        {
            var folder = Path.Combine(RootDirectory, PathUtil.DirectoryOf(service.Project));
            NpmInstallIfStale(folder);
            LoggedStep.Run($"Building {service.Name} for the tests that serve it (Compile did not)",
                Path.Combine(StepLogs, $"npm-build-{service.Name}.log"), Npm, ["run", "build"], folder, cancellationToken: CancellationToken);
        }
    }

    /// <summary>
    /// The node on PATH checked against the package's engines in <paramref name="folder"/> (<see cref="NodeVersion"/>),
    /// once per package and run; asked where npm will run, so a version manager's shim answers for that folder.
    /// </summary>
    private void CheckNode(string folder)
    {
        var packageJson = Path.Combine(folder, "package.json");
        if (!_nodeChecked.Add(folder) || !File.Exists(packageJson))
        {
            return;
        }

        string version;
        try
        {
            var node = ProcessRunner.Capture("node", ["--version"], folder, cancellationToken: CancellationToken);
            if (node.ExitCode != 0)
            {
                return;
            }

            version = node.Output;
        }
        catch (ToolFailedException)
        {
            return;   // no node on PATH: npm's own failure says so
        }

        if (NodeVersion.Problem(File.ReadAllText(packageJson), version, Path.GetRelativePath(RootDirectory, folder)) is { } problem)
        {
            throw new TargetFailedException(problem, "Node too old");
        }
    }

    /// <summary>Before npm runs in <paramref name="folder"/>: Node's version checked, and the packages installed when the lock file is newer than the install.</summary>
    private void NpmInstallIfStale(string folder)
    {
        CheckNode(folder);
        var lockFile = Path.Combine(folder, "package-lock.json");
        var installed = Path.Combine(folder, "node_modules", ".package-lock.json");
        if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile))
        {
            return;
        }

        LoggedStep.Run($"Installing {Path.GetFileName(folder)}'s npm packages (npm ci)", Path.Combine(StepLogs, $"npm-ci-{Path.GetFileName(folder)}.log"),
            Npm, ["ci", "--no-audit", "--no-fund"], folder, cancellationToken: CancellationToken);
    }
}
