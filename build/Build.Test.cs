using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Testing;

namespace AgentSystem.Build;

internal partial class Build
{
    /// <summary>Test projects below this folder need containers; those below tests/System drive the composed system (SystemTest); every other test project is a unit test.</summary>
    private const string IntegrationTestsFolder = "tests/Integration";

    private string TestResultsDirectory => Path.Combine(ArtifactsDirectory, "test-results");

    private string ContainerTimingsFile => Path.Combine(TestResultsDirectory, "container-timings.jsonl");

    private List<string> AffectedUnitTests => Changes.TestProjects.Where(IsUnitTestProject).ToList();
    private List<string> AffectedIntegrationTests => Changes.TestProjects.Where(IsIntegrationTestProject).ToList();

    private static bool IsUnitTestProject(string project) => !PathUtil.IsUnder(project, IntegrationTestsFolder) && !PathUtil.IsUnder(project, SystemTests.Folder);
    private static bool IsIntegrationTestProject(string project) => PathUtil.IsUnder(project, IntegrationTestsFolder);

    /// <summary>
    /// Named on the command line with nothing of its kind affected (and no --service), a test target runs every one
    /// rather than nothing, as SystemTest and LoadTest run when named (helper-112: `./build.sh IntegrationTest` on a
    /// clean checkout ran nothing and said the build succeeded). Compile built none of them, so they are built here.
    /// </summary>
    private bool RunsEveryOne(string target, int affected) => affected == 0 && RequestedTargets.Contains(target) && Service is not { Length: > 0 };

    /// <summary>
    /// How to run a test target's every project when none is affected. Named, it does, but not within --service: a
    /// service's job runs only what changed (helper-126 named UnitTest --service gateway and was told it had).
    /// </summary>
    private string HowToRunEveryOne(string target) => Service is { Length: > 0 } services
        ? $"with --all it runs every one of {string.Join(" and ", services.Select(name => name + "'s"))}"
        : $"named ({BuildScript.Command} {target}) or with --all it runs every one";

    private bool UnitTestsRunEveryOne => RunsEveryOne(nameof(UnitTest), AffectedUnitTests.Count + AffectedNodePackages.Count);
    private bool IntegrationTestsRunEveryOne => RunsEveryOne(nameof(IntegrationTest), AffectedIntegrationTests.Count);

    private List<string> UnitTestsToRun => UnitTestsRunEveryOne ? EveryProject(p => p.IsTest && IsUnitTestProject(p.Path)) : AffectedUnitTests;
    private List<string> NodePackagesToTest => UnitTestsRunEveryOne ? EveryProject(p => p.Kind == ProjectKind.Node) : AffectedNodePackages;
    private List<string> IntegrationTestsToRun => IntegrationTestsRunEveryOne ? EveryProject(p => p.IsTest && IsIntegrationTestProject(p.Path)) : AffectedIntegrationTests;

    private List<string> EveryProject(Func<RepoProject, bool> which) =>
        (Changes.Graph?.Projects ?? []).Where(which).Select(p => p.Path).Order(StringComparer.Ordinal).ToList();

    /// <summary>The plan's Services cell for a test target running every one (helper-116: it said "(none)" beside "every one").</summary>
    private IEnumerable<string> EveryEntry => EveryServiceName.Append(AffectedResult.Shared);

    private static string WhyTestsRun(List<string> projects, bool everyOne) =>
        everyOne ? $"named, none affected: every one, {ProjectList(projects, 2)}" : ProjectList(projects, 2);

    private TestTally? _tally;
    private readonly List<string> _testFailures = [];

    protected internal override IEnumerable<string> ClosingLines =>
        _tally is null ? [] : [TestTally.Closing(_tally, TestResultsDirectory, CancellationToken.IsCancellationRequested)];

    private Target UnitTest => _ => _
        .Description("Runs the affected unit test projects and the affected node services' tests (no Docker needed)")
        .WritesOutputs()
        .DependsOn(Compile)
        .Touches(() => UnitTestsRunEveryOne ? EveryEntry : AffectedEntries)
        .RunsBecause(() => UnitTestsToRun.Count + NodePackagesToTest.Count == 0
            ? $"no-op: no affected unit test; {HowToRunEveryOne(nameof(UnitTest))}"
            : WhyTestsRun([.. UnitTestsToRun.Concat(NodePackagesToTest)], UnitTestsRunEveryOne))
        .Executes(() =>
        {
            PrepareTestResults();
            var before = TestsSoFar();
            if (UnitTestsToRun.Count == 0 && NodePackagesToTest.Count == 0)
            {
                Log.Info("No affected unit test project.");
            }

            RunDotnetTests("affected-unit-tests.slnf", UnitTestsToRun, null, build: UnitTestsRunEveryOne);
            foreach (var package in NodePackagesToTest)
            {
                if (UnitTestsRunEveryOne)
                {
                    NpmInstallIfStale(Path.Combine(RootDirectory, PathUtil.DirectoryOf(package)));
                }

                RunNodeTests(package);
            }

            TallyAndCheck("unit", before);
        });

    private Target IntegrationTest => _ => _
        .Description("Runs the affected container-backed suites (tests/Integration) against real PostgreSQL and Redis")
        .WritesOutputs()
        .DependsOn(Compile, DockerEngine, BaseImages, Chromium)
        .After(UnitTest)
        .OnlyWhenStatic(() => IntegrationTestsToRun.Count > 0,
            () => $"no affected integration test project; {HowToRunEveryOne(nameof(IntegrationTest))}")
        .Touches(() => IntegrationTestsRunEveryOne ? EveryEntry : AffectedEntries)
        .RunsBecause(() => WhyTestsRun(IntegrationTestsToRun, IntegrationTestsRunEveryOne))
        .Executes(() =>
        {
            PrepareTestResults();
            var before = TestsSoFar();
            if (File.Exists(ContainerTimingsFile))
            {
                File.Delete(ContainerTimingsFile);
            }

            var environment = new Dictionary<string, string>(BaseImageEnvironment)
            {
                ["AGENTSYSTEM_CONTAINER_TIMINGS"] = ContainerTimingsFile,
                ["CHROMIUM_PATH"] = ChromiumPath,
                ["AGENTSYSTEM_CONFIGURATION"] = Configuration.ToString(),
            };
            BuildNodeServicesTestedBy(IntegrationTestsToRun);
            RunDotnetTests("affected-integration-tests.slnf", IntegrationTestsToRun, environment, build: IntegrationTestsRunEveryOne, linePerTest: true);
            ContainerTimings.Print(ContainerTimingsFile);
            TallyAndCheck("integration", before);
        });

    private Target Test => _ => _
        .Description("Runs unit, integration, system and load tests (the images composed) and validates the manifests; prints 'N passed, N failed' as the last line")
        .DependsOn(UnitTest, IntegrationTest, SystemTest, LoadTest, ValidateManifests)
        .Executes(() => Log.Info($"All tests: {_tally ?? TestTally.Empty}"));

    /// <summary>Results of earlier runs would be counted again, so the folder starts empty once per build.</summary>
    private void PrepareTestResults()
    {
        if (_tally is not null)
        {
            return;
        }

        DeleteDirectory(TestResultsDirectory);
        Directory.CreateDirectory(TestResultsDirectory);
        _tally = TestTally.Empty;
    }

    /// <param name="build">Build them first: Compile did not (it builds only what is affected).</param>
    /// <param name="linePerTest">
    /// A line per finished test: the integration suites run for minutes, and the default console logger is silent until
    /// a project ends (helper-133); the unit tests, many and quick, keep one line per project.
    /// </param>
    private void RunDotnetTests(string filterName, List<string> projects, Dictionary<string, string>? extraEnvironment, bool build = false, bool linePerTest = false)
    {
        if (projects.Count == 0)
        {
            return;
        }

        var filter = WriteSolutionFilter(filterName, projects);
        var environment = new Dictionary<string, string>(DotnetEnvironment);
        foreach (var (key, value) in extraEnvironment ?? [])
        {
            environment[key] = value;
        }

        Log.Info($"dotnet test: {projects.Count} test project(s)");
        var results = Path.Combine(TestResultsDirectory, Path.GetFileNameWithoutExtension(filterName));
        try
        {
            string[] noBuild = build ? [] : ["--no-build"];
            string[] console = linePerTest ? ["--logger", "console;verbosity=normal"] : [];
            ProcessRunner.Run("dotnet", ["test", filter, .. noBuild, .. console, "-c", Configuration.ToString(), "--logger", "trx",
                "--results-directory", results, "-nodeReuse:false"],
                RootDirectory, environment, CancellationToken);
        }
        catch (ToolFailedException e)
        {
            _testFailures.Add($"dotnet test: {e.Message}");
        }
        finally
        {
            if (TrxNames.Note(TrxNames.NameByAssembly(results)) is { } renamed)
            {
                Log.Info(renamed);
            }
        }
    }

    private void RunNodeTests(string package)
    {
        var folder = Path.Combine(RootDirectory, PathUtil.DirectoryOf(package));
        var junit = Path.Combine(TestResultsDirectory, "node", $"{Path.GetFileName(folder)}-junit.xml");
        try
        {
            // vitest colours its output even into a file or a CI log: it does as the build's own output does, unless
            // FORCE_COLOR asks for colours (Node warns when it is given both).
            var environment = Log.UseColor || Environment.GetEnvironmentVariable("FORCE_COLOR") is not null
                ? null
                : new Dictionary<string, string> { ["NO_COLOR"] = "1" };
            ProcessRunner.Run(Npm, ["test", "--", "--reporter=default", "--reporter=junit", $"--outputFile.junit={junit}"], folder, environment, CancellationToken);
        }
        catch (ToolFailedException e)
        {
            _testFailures.Add($"npm test in {PathUtil.DirectoryOf(package)}: {e.Message}");
        }
    }

    /// <summary>
    /// Counts every result file so far (the closing tally is for the whole build), and fails this target only on
    /// failures it added, so with --continue a unit-test failure is not blamed on the integration tests.
    /// </summary>
    private void TallyAndCheck(string kind, (int Failures, int FailedTests, IReadOnlyList<string> ResultFiles) before)
    {
        _tally = TestTally.FromDirectory(TestResultsDirectory);
        var failures = _testFailures.Skip(before.Failures).ToList();
        if (failures.Count > 0 || _tally.Failed > before.FailedTests)
        {
            // The failed tests by name, from the files this target wrote, so that the summary says where to look (a new
            // user scrolled for the project).
            var named = TestTally.FailedTests(TestTally.ResultFiles(TestResultsDirectory).Except(before.ResultFiles, StringComparer.Ordinal)).ToList();
            var failed = _tally.Failed - before.FailedTests;
            // A theory's cases fail one by one under one name: 66 failures can be 45 tests.
            var inTests = named.Count > 0 && named.Count < failed ? $" in {named.Count} tests" : "";
            var which = named.Count == 0 ? "" : $"{inTests}: {string.Join(", ", named.Take(3))}{(named.Count > 3 ? $" and {named.Count - 3} more" : "")}";
            throw new TargetFailedException(
                $"{kind} tests failed ({failed} failed{which}; results in {Path.GetRelativePath(RootDirectory, TestResultsDirectory)}): {string.Join("; ", failures)}");
        }
    }

    private (int Failures, int FailedTests, IReadOnlyList<string> ResultFiles) TestsSoFar() =>
        (_testFailures.Count, _tally!.Failed, TestTally.ResultFiles(TestResultsDirectory));
}
