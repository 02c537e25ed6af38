using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>LoadTest's options are read with the harness's parsers when the plan is made, not after the targets before it.</summary>
public sealed class LoadTestOptionsTests
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
}
