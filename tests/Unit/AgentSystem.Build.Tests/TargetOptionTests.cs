using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>
/// Options are checked when the plan is made, not after the targets before theirs: LoadTest's with the harness's own
/// parsers, SystemUp's ports.
/// </summary>
public sealed class TargetOptionTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public void Dispose() => _repo.Dispose();

    // The sample has no load harness, so the plan skips LoadTest: named, it still has its options checked.
    private BuildRun<Build> PlanLoadTest(params string[] options) => Plan("LoadTest", options);

    private BuildRun<Build> Plan(string target, params string[] options) =>
        BuildRun<Build>.Of([target, "--plan", "--root", _repo.Root, .. options]);

    // The smallest summary a baseline can be, as old.json in the sample: its path.
    private string WriteBaseline()
    {
        var path = Path.Combine(_repo.Root, "old.json");
        File.WriteAllText(path, "{\"scenarios\": [{\"name\": \"enqueue\", \"rps\": 1}], \"reference\": {\"redisBenchmark\": [], \"wrk\": []}}");
        return path;
    }

    /// <summary>helper-126: `Test --all --base main` ignored --base without a word.</summary>
    [Fact]
    public void A_base_beside_all_is_said_to_change_nothing()
    {
        var withAll = Plan("Compile", "--all", "--base", "main");
        var alone = Plan("Compile", "--base", "main");

        Assert.True(withAll.ExitCode == 0, withAll.Output);
        Assert.Contains("--base changes nothing here: --all selects everything, whatever changed since a base.", withAll.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("changes nothing", alone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_the_load_test_runs_on_a_clean_checkout_as_a_step_of_test_only_when_affected()
    {
        // helper-61: `./build.sh LoadTest`, the issue's own check, skipped on a clean checkout (and left the last report).
        _repo.Write(Testing.LoadTests.Project, TempRepo.TestProject());
        var (named, asStep) = NamedAndAsStepOfTest("LoadTest", "the load harness");

        Assert.Contains(" run", named, StringComparison.Ordinal);
        Assert.Contains("skip (condition: the load harness is not affected", asStep, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_the_system_test_runs_on_a_clean_checkout_as_a_step_of_test_only_when_affected()
    {
        // helper-63: `./build.sh SystemTest` with no system running skipped, and the build succeeded.
        var (named, asStep) = NamedAndAsStepOfTest("SystemTest", "the build's schema");

        Assert.Contains(" run", named, StringComparison.Ordinal);
        Assert.Contains("skip (condition: no service with an image is affected", asStep, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_on_a_clean_checkout_the_integration_tests_run_every_one_as_a_step_of_test_only_when_affected()
    {
        // helper-112: `./build.sh IntegrationTest` ran nothing and said the build succeeded.
        _repo.Write("tests/Integration/Queue.Integration.Tests/Queue.Integration.Tests.csproj", TempRepo.TestProject("../../../services/shared/Queue/Queue.csproj"));
        var (named, asStep) = NamedAndAsStepOfTest("IntegrationTest", "an integration test project");

        Assert.Matches(@"\srun \(named, none affected: every one, Queue\.Integration\.Tests\)", named);
        Assert.EndsWith("all 4, shared", named.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("skip (condition: no affected integration test project; named (./build.sh IntegrationTest) or with --all it runs every one)",
            asStep, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_on_a_clean_checkout_the_unit_tests_run_every_one_as_a_step_of_test_only_when_affected()
    {
        var (named, asStep) = NamedAndAsStepOfTest("UnitTest", "the build's schema");

        Assert.Matches(@"\srun \(named, none affected: every one, Gateway\.Tests, Queue\.Tests and 1 more\)", named);
        Assert.EndsWith("all 4, shared", named.TrimEnd(), StringComparison.Ordinal);   // helper-116: "(none)" beside "every one"
        Assert.Contains("run (no-op: no affected unit test; named (./build.sh UnitTest) or with --all it runs every one)", asStep, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_with_service_the_test_targets_still_run_only_what_is_affected()
    {
        _repo.Write("tests/Integration/Queue.Integration.Tests/Queue.Integration.Tests.csproj", TempRepo.TestProject("../../../services/shared/Queue/Queue.csproj"));
        BuildRun<Build>.Of(["Affected", "--plan", "--root", _repo.Root]);
        _repo.Commit("an integration test project");

        var run = BuildRun<Build>.Of(["IntegrationTest", "--service", "worker", "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "300" });

        Assert.Contains("skip (condition: no affected integration test project", Will(run, "IntegrationTest"), StringComparison.Ordinal);
    }

    /// <summary>
    /// On a clean checkout (what is written so far committed, with the schema the first plan writes, a global input):
    /// the plan's line for <paramref name="target"/> named on the command line, and as a step of Test.
    /// </summary>
    private (string Named, string AsStep) NamedAndAsStepOfTest(string target, string commitMessage)
    {
        BuildRun<Build>.Of(["Affected", "--plan", "--root", _repo.Root]);
        _repo.Commit(commitMessage);

        var named = BuildRun<Build>.Of([target, "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "300" });
        var asStep = BuildRun<Build>.Of(["Test", "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "300" });
        Assert.Equal((0, 0), (named.ExitCode, asStep.ExitCode));
        return (Will(named, target), Will(asStep, target));
    }

    // The plan's line for a target: its step number, its name, then what it will do.
    private static string Will(BuildRun<Build> run, string target) =>
        run.Output.Split('\n').Single(line => System.Text.RegularExpressions.Regex.IsMatch(line, $@"^\d+\s+{target}\s"));

    [Fact]
    public void Options_the_harness_would_reject_fail_the_build_before_anything_runs()
    {
        var run = PlanLoadTest("--rate", "fast", "--warm-up", "a minute", "--baseline-tolerance", "ten", "--baseline", "no/such/summary.json");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("LoadTest: --rate: 'fast' is not RATE or SCENARIO=RATE", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: --warm-up: 'a minute' is not a duration", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: --baseline-tolerance: 'ten' is not a percentage", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: --baseline no/such/summary.json: no such file", run.Output, StringComparison.Ordinal);
    }

    /// <summary>helper-104: after an interrupted run the last whole run is in previous/, and summary.json was "no such file".</summary>
    [Fact]
    public void After_an_interrupted_run_the_baseline_summary_is_the_last_whole_run()
    {
        var previous = Path.Combine(_repo.Root, "artifacts", "load", "previous");
        Directory.CreateDirectory(previous);
        File.Move(WriteBaseline(), Path.Combine(previous, "summary.json"));

        Assert.Equal(0, PlanLoadTest("--baseline", "artifacts/load/summary.json").ExitCode);
        Assert.Equal(0, PlanLoadTest("--baseline", "artifacts/load/previous/summary.json").ExitCode);
        File.Delete(Path.Combine(previous, "summary.json"));
        Assert.Contains("LoadTest: --baseline artifacts/load/summary.json: no such file", PlanLoadTest("--baseline", "artifacts/load/summary.json").Output, StringComparison.Ordinal);
    }

    /// <summary>helper-91: `--baseline README.md` failed only after the images and the Release build, in the parser's words.</summary>
    [Fact]
    public void A_baseline_that_is_no_summary_fails_the_build_before_anything_runs()
    {
        var path = Path.Combine(_repo.Root, "notes.md");
        File.WriteAllText(path, "# Notes\n");

        var run = PlanLoadTest("--baseline", "notes.md");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"LoadTest: --baseline: {path} is not a load summary (an artifacts/load/summary.json): it is not JSON (line 1: '#' is an invalid start of a value)",
            run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rate: no scenario 'queue'. There are enqueue, claim-ack, queue-e2e, http (a scenario runs its open phase, NAME-at-rate, itself).", "--rate", "queue=2000")]
    [InlineData("--scenarios: no scenario 'e2e'. There are enqueue, claim-ack, queue-e2e, http (a scenario runs its open phase, NAME-at-rate, itself).", "--scenarios", "enqueue", "e2e")]
    [InlineData("--scenarios: no scenario 'enqeue'. Did you mean 'enqueue'? There are", "--scenarios", "enqeue")]
    [InlineData("--scenarios needs a value", "--scenarios", ",")]   // an error, not every scenario
    [InlineData("--scenarios 'queue-e2e,,http': an empty name in the list (one or more names, comma-separated).", "--scenarios", "queue-e2e,,http")]   // helper-78: ran the two
    public void A_scenario_that_does_not_exist_or_none_is_a_usage_error_naming_the_scenarios(string message, params string[] options)
    {
        var run = PlanLoadTest(options);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rate_for_a_scenario_that_does_not_run_fails_the_build_before_anything_runs()
    {
        var run = PlanLoadTest("--scenarios", "enqueue", "--rate", "http=100");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--rate http=100: http does not run (--scenarios enqueue), so its rate would be ignored", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rate_and_a_duration_that_together_make_too_many_jobs_fail_the_build_before_anything_runs()
    {
        // Each value alone passes the harness's parsers; the harness itself would refuse them only after the images.
        var run = PlanLoadTest("--rate", "1000000", "--duration", "40m");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--rate 1000000/s over --warm-up and --duration (2401 s) makes 2,401,000,000 jobs in one phase", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_baseline_tolerance_without_a_baseline_fails_the_build_before_anything_runs()
    {
        var run = PlanLoadTest("--baseline-tolerance", "25%");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--baseline-tolerance is the tolerance of the --baseline comparison, and no --baseline is given: give both, or neither",
            run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_harness_is_given_the_options_as_the_build_read_them()
    {
        var baseline = WriteBaseline();

        var run = PlanLoadTest("--scenarios", "enqueue", "queue-e2e", "--rate", "queue-e2e=2000", "--duration", "20s", "--baseline", "old.json",
            "--baseline-tolerance", "25%", "--keep-containers");

        Assert.Equal(["--duration", "20s", "--warm-up", "1s", "--rate", "queue-e2e=2000", "--scenarios", "enqueue,queue-e2e", "--baseline", baseline,
            "--baseline-tolerance", "25%", "--keep-containers"], run.Build.LoadHarnessOptions());
    }

    [Fact]
    public void Options_the_harness_takes_pass()
    {
        WriteBaseline();

        var run = PlanLoadTest("--rate", "queue-e2e-at-rate=2000", "--rate", "500", "--duration", "2m", "--warm-up", "60s", "--baseline", "old.json",
            "--baseline-tolerance", "25%", "--scenarios", "enqueue,queue-e2e");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("LoadTest", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_load_phase_of_no_time_fails_the_build_before_anything_runs()
    {
        var run = PlanLoadTest("--duration", "0s");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("LoadTest: --duration: '0s' measures nothing: give more than 0", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeployKind")]
    [InlineData("DeployMinikube")]
    public void A_rollout_of_no_time_fails_the_build_before_anything_runs(string target)
    {
        var run = Plan(target, "--rollout-timeout", "0s");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"{target}: --rollout-timeout: give more than 0 (10m, 90s)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Durations_kept_as_text_for_the_harness_are_described_as_durations()
    {
        var parameters = ParameterSet.Of(typeof(Build));

        Assert.All(["duration", "warm-up"], name => Assert.Equal("a duration: 5m, 90s, 1h; a bare number is seconds", ParameterSet.Describe(parameters.Find(name)!)));
    }

    /// <summary>The first ran Compile and exited 0 ("--scenarios changes nothing"); the second said "Unknown service 'Images'".</summary>
    [Theory]
    [InlineData("--scenarios: 'LoadTest' is a target: name targets before options (./build.sh LoadTest --scenarios enqueue --plan --root ", "--scenarios", "enqueue", "LoadTest")]
    [InlineData("--service: 'images' is a target: name targets before options (./build.sh images --service worker --plan --root ", "--service", "worker", "images")]
    [InlineData("--service: 'Images' is a target: name targets before options (./build.sh Images --service worker,gateway --plan --root ", "--service", "worker,Images,gateway")]
    [InlineData("--service: 'Images' is a target: name targets before options (./build.sh SystemUp Images --plan --root ", "SystemUp", "--service", "Images")]
    public void A_target_after_a_list_option_is_a_usage_error_naming_the_command_line_to_run(string message, params string[] args)
    {
        var run = BuildRun<Build>.Of([.. args, "--plan", "--root", _repo.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
    }

    /// <summary>helper-102: named with --service, SystemTest was skipped and the build succeeded with nothing run (LoadTest too: helper-103).</summary>
    [Fact]
    public void The_system_test_named_with_a_service_is_a_usage_error_and_skipped_in_that_services_test()
    {
        var load = BuildRun<Build>.Of(["LoadTest", "--service", "worker", "--plan", "--root", _repo.Root]);
        Assert.Equal(BuildHost.UsageExitCode, load.ExitCode);
        Assert.Contains("LoadTest: it loads the whole queue path, and --service selects one service: leave out --service (./build.sh LoadTest)", load.Output, StringComparison.Ordinal);

        var named = BuildRun<Build>.Of(["SystemTest", "--service", "worker", "--plan", "--root", _repo.Root]);
        var test = BuildRun<Build>.Of(["Test", "--service", "worker", "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "200" });

        Assert.Equal(BuildHost.UsageExitCode, named.ExitCode);
        Assert.Contains("SystemTest: it tests the whole system, and --service selects one service: leave out --service (./build.sh SystemTest)", named.Output, StringComparison.Ordinal);
        Assert.Equal(0, test.ExitCode);
        Assert.Matches(@"SystemTest\s.*skip \(condition: --service selects one service", test.Output);
    }

    [Theory]
    [InlineData("lots", 2)]
    [InlineData("0", 2)]
    [InlineData("0.0GB", 2)]
    [InlineData("5G", 0)]
    [InlineData("500 MB", 0)]
    [InlineData("1.5GiB", 0)]
    public void The_build_cache_size_is_read_as_docker_reads_it(string size, int exitCode)
    {
        var run = Plan("PruneImages", "--keep-build-cache", size);

        Assert.Equal(exitCode, run.ExitCode);
        if (exitCode != 0)
        {
            Assert.Contains(size == "lots" ? "--keep-build-cache: 'lots' is no size (a number of bytes, or with KB, MB, GB, TB or PB: 5GB)."
                : $"--keep-build-cache: '{size}' keeps nothing of the build cache, every project's on this engine", run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_load_test_the_plan_does_not_run_has_its_options_left_alone()
    {
        var run = Plan("Compile", "--duration", "3x");

        Assert.Equal(0, run.ExitCode);
    }

    [Theory]
    [InlineData("SystemUp", "--system-gateway-port", "-5")]
    [InlineData("SystemUp", "--system-frontend-port", "70000")]
    [InlineData("SystemTest", "--system-gateway-port", "-1")]
    public void A_port_that_is_no_port_fails_the_build_before_anything_runs(string target, string option, string port)
    {
        var run = Plan(target, option, port);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"{target}: {option}: {port} is no port (1 to 65535, or 0 for any free port)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_from_the_environment_is_named_by_its_variable()
    {
        var run = BuildRun<Build>.Of(["LoadTest", "--plan", "--root", _repo.Root], new() { ["DURATION"] = "abc", ["RATE"] = "queue=2000" });

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("LoadTest: environment variable DURATION: 'abc' is not a duration", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: environment variable RATE: no scenario 'queue'", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SystemUp", "Bad/Name")]
    [InlineData("SystemTest", "-leading-dash")]
    [InlineData("SystemDown", "UPPER")]
    public void A_system_name_compose_would_rewrite_or_refuse_fails_the_build_before_anything_runs(string target, string name)
    {
        var run = Plan(target, "--system-name", name);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"{target}: --system-name: '{name}' is no Compose project name", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_system_name_of_lowercase_letters_digits_dashes_and_underscores_is_taken()
    {
        Assert.Equal(0, Plan("SystemDown", "--system-name", "team_a-2").ExitCode);
    }

    [Theory]
    [InlineData("Dev", "--dev-api-key", "short-key")]
    [InlineData("SystemUp", "--system-api-key", "fifteen-chars-x")]
    [InlineData("SystemTest", "--system-api-key", " 1234567890 ")]
    public void An_api_key_the_gateway_would_refuse_fails_the_build_before_anything_runs(string target, string option, string key)
    {
        var run = Plan(target, option, key);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"{target}: {option}: the gateway takes API keys of at least 16 characters", run.Output, StringComparison.Ordinal);
        Assert.Contains($"and this one has {key.Trim().Length}", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Trim(), run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dev", "--dev-api-key")]
    [InlineData("SystemUp", "--system-api-key")]
    [InlineData("SystemTest", "--system-api-key")]
    public void An_api_key_of_16_characters_is_taken(string target, string option)
    {
        Assert.Equal(0, Plan(target, option, "sixteen-chars-ok").ExitCode);
    }
}
