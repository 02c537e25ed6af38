using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>
/// Options are checked when the plan is made, not after the targets before theirs: LoadTest's with the harness's own
/// parsers, SystemUp's ports.
/// </summary>
public sealed class TargetOptionTests
{
    private static BuildRun<Build> Plan(params string[] options) =>
        BuildRun<Build>.Of(["LoadTest", "--all", "--plan", "--root", RepositoryFiles.Root, .. options]);

    [Fact]
    public void Options_the_harness_would_reject_fail_the_build_before_anything_runs()
    {
        var run = Plan("--rate", "fast", "--warm-up", "a minute", "--baseline-tolerance", "ten", "--baseline", "no/such/summary.json");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("LoadTest: --rate: 'fast' is not a positive number", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: --warm-up: 'a minute' is not a duration", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: --baseline-tolerance: 'ten' is not a percentage", run.Output, StringComparison.Ordinal);
        Assert.Contains("LoadTest: --baseline no/such/summary.json: no such file", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rate_for_a_scenario_that_does_not_exist_names_the_scenarios()
    {
        var run = Plan("--rate", "queue=2000");

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--rate: no scenario 'queue' (there are enqueue, claim-ack, queue-e2e, http)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_the_harness_takes_pass()
    {
        var run = Plan("--rate", "queue-e2e-at-rate=2000", "--rate", "500", "--duration", "2m", "--warm-up", "60s", "--baseline-tolerance", "25%");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("LoadTest", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_skipped_load_test_named_on_the_command_line_still_has_its_options_checked()
    {
        var run = BuildRun<Build>.Of(["LoadTest", "--plan", "--service", "worker", "--duration", "3x", "--root", RepositoryFiles.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("LoadTest: --duration: '3x' is not a duration", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--system-gateway-port", "-5")]
    [InlineData("--system-frontend-port", "70000")]
    public void A_port_that_is_no_port_fails_SystemUp_before_anything_runs(string option, string port)
    {
        var run = BuildRun<Build>.Of(["SystemUp", "--plan", option, port, "--root", RepositoryFiles.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"SystemUp: {option}: {port} is no port (1 to 65535, or 0 for any free port)", run.Output, StringComparison.Ordinal);
    }
}
