using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build;

/// <summary>
/// The AgentSystem pipeline. Targets live in one partial file per concern (Build.Compile.cs, Build.Test.cs, ...);
/// this file holds the entry point, the parameters shared by several concerns, and the affected selection.
/// </summary>
internal partial class Build : BuildBase
{
    public static int Main() => Execute<Build>(x => x.Compile);

    [Parameter("Configuration to build")]
    private readonly Configuration Configuration = IsLocalBuild ? Configuration.Debug : Configuration.Release;

    /// <summary>What <c>dotnet build</c> of <paramref name="project"/> (a path from the root) makes, to run with <c>dotnet</c>.</summary>
    private string ProjectDll(string project, Configuration configuration) =>
        Path.Combine(RootDirectory, Path.GetDirectoryName(project)!, "bin", configuration.ToString(), "net10.0", Path.GetFileNameWithoutExtension(project) + ".dll");

    [Parameter("Git ref to compare with; default: the merge-base of HEAD and origin/main (else main)", Values = "ref")]
    private readonly string? Base;

    [Parameter("Select every service and project, whatever changed")]
    private readonly bool All;

    [Parameter("Restrict the selection to these services (and 'shared': the affected projects outside the affected services' own)", Values = "name")]
    private readonly string[]? Service;

    private AffectedResult? _changes;

    /// <summary>
    /// --service names and a --base given on the command line are checked whatever the targets (computing the changes
    /// refuses an unknown service and a base that names nothing): Compile found a typo only inside its Affected target,
    /// and Dev and LoadTest not at all; `Affected --base typo` failed as a target, its message printed twice. A BASE
    /// variable is checked only by the targets that read the changes: a shell may have set it for something else.
    /// </summary>
    protected internal override void CheckParameters()
    {
        if (Service is not null || (Base is not null && GivenOnCommandLine(nameof(Base))))
        {
            _ = Changes;
        }
        // Said, not refused, as for an option only skipped targets read (helper-126: `Test --all --base main` said nothing).
        if (All && Base is not null && GivenOnCommandLine(nameof(Base)))
        {
            Log.Warning($"{GivenAs(nameof(Base))} changes nothing here: {GivenAs(nameof(All))} selects everything, whatever changed since a base.");
        }
    }

    /// <summary>What the changes since the base affect (within --service when given); computed once per run, by whichever target asks first.</summary>
    private AffectedResult Changes => _changes ??= DetectChanges();

    private AffectedResult DetectChanges()
    {
        var changes = new AffectedDetector(RootDirectory).Detect(Base, All, GivenAs(nameof(Base)));
        return Service is { Length: > 0 } names ? changes.Restrict(names, GivenAs(nameof(Service))) : changes;
    }

    /// <summary>The affected services, and "shared" when affected projects belong to none (CI's matrix entries).</summary>
    private IEnumerable<string> AffectedEntries => Changes.MatrixEntries();

    protected internal override IReadOnlyCollection<string> KnownServices => Changes.Catalog is null ? [] : [.. EveryServiceName];

    /// <summary>The pipeline, then running locally, the generators, the steps others run, the benchmarks: the README's Targets table (a test holds them together).</summary>
    protected internal override IReadOnlyList<string> HelpOrder =>
    [
        nameof(Affected), nameof(Compile), nameof(UnitTest), nameof(IntegrationTest), nameof(Images), nameof(SystemUp), nameof(SystemTest),
        nameof(SystemDown), nameof(LoadTest), nameof(ValidateManifests), nameof(Test), nameof(DeployKind), nameof(DeployMinikube),
        nameof(DeleteClusters), nameof(Dev), nameof(DevServers), nameof(Clean), nameof(PruneImages), nameof(GitHubActions), nameof(Dockerfiles),
        nameof(DockerEngine), nameof(BaseImages), nameof(Chromium), nameof(SystemPreflight), nameof(KindPreflight), nameof(MinikubePreflight),
        nameof(BenchmarkAffected), nameof(BenchmarkImage),
    ];

    protected internal override IReadOnlyList<(string CommandLine, string Does)> HelpExamples =>
    [
        (BuildScript.Command, "Compiles what changed since the merge-base with origin/main"),
        ($"{BuildScript.Command} Compile Test", "Compiles and tests what changed; --all for everything"),
        ($"{BuildScript.Command} Test --plan", "Shows what would run, in which order, where; runs nothing"),
        ($"{BuildScript.Command} Dev", "The whole system on this machine: the page on localhost:3000"),
        ($"{BuildScript.Command} LoadTest --duration 20s", "Longer load phases; the report: artifacts/load/report.html"),
        ($"{BuildScript.Command} Images SystemUp SystemTest", "Builds images, composes the system, drives it end to end"),
        ($"{BuildScript.Command} DeployKind", "A throwaway kind cluster: deploys, smoke-tests, deletes it"),
    ];

    /// <summary>Every service of the catalog: what the targets that act on the whole system touch.</summary>
    private IEnumerable<string> EveryServiceName => (Changes.Catalog ?? throw new TargetFailedException($"{ServiceCatalog.FileName} could not be read.")).Services.Select(s => s.Name);

    private static readonly string[] CodeFolders = ["services", "tests"];

    private string BuildArtifacts => Path.Combine(ArtifactsDirectory, "build");

    private Target Clean => _ => _
        .Description("Deletes artifacts/, every bin/ and obj/ folder below services/ and tests/, and the node services' dist/")
        .WritesOutputs()
        .Before(Affected, Compile)
        .Executes(() =>
        {
            var artifacts = DeleteDirectory(ArtifactsDirectory);
            var outputs = 0;
            foreach (var top in CodeFolders)
            {
                var folder = Path.Combine(RootDirectory, top);
                if (!Directory.Exists(folder))
                {
                    continue;
                }

                foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories)
                             .Where(d => Path.GetFileName(d) is "bin" or "obj" && !d.Contains("node_modules", StringComparison.Ordinal)).ToList())
                {
                    outputs += DeleteDirectory(dir) ? 1 : 0;
                }
            }

            // A node service's build (the frontend's dist/, which the system tests serve) is an output as bin/ is.
            var builds = Directory.EnumerateDirectories(Path.Combine(RootDirectory, "services"))
                .Where(service => File.Exists(Path.Combine(service, "package.json")))
                .Count(service => DeleteDirectory(Path.Combine(service, "dist")));
            var below = string.Join(" and ", CodeFolders.Select(f => f + "/"));
            var nodeBuilds = builds > 0 ? $" and {builds} node service dist/ folder(s)" : "";
            Log.Info(artifacts || outputs > 0 || builds > 0
                ? $"Deleted {(artifacts ? "artifacts/ and " : "")}{outputs} bin/ and obj/ folder(s) below {below}{nodeBuilds}."
                : $"Nothing to delete: no artifacts/, no bin/ or obj/ folder below {below}, no node service's dist/.");
        });

    /// <summary>Deletes <paramref name="path"/> and all below it; false when it was not there.</summary>
    private static bool DeleteDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            return false;
        }

        Directory.Delete(path, recursive: true);
        return true;
    }
}

public enum Configuration { Debug, Release }
