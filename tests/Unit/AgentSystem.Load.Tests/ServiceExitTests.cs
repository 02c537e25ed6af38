using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>A phase during which a service exited without the harness stopping it (a crash, a kill -9 by hand).</summary>
public sealed class ServiceExitTests
{
    [Fact]
    public void A_phase_during_which_a_service_exited_unasked_fails_by_a_check_that_says_what_happened()
    {
        var passed = Fixtures.Result("queue-e2e", 20_000, [1, 2, 3]) with
        {
            Checks = [new CheckResult("every enqueued job stored once, with its result", true, "300 of 300")],
        };

        var result = LoadRun.WithServiceExits(passed, ["worker-1 (pid 5967) exited with code 137 (SIGKILL) at 21:20:13"]);

        Assert.False(result.Passed);
        Assert.Equal(2, result.Checks.Count);
        Assert.True(result.Checks[0].Passed);
        var check = result.Checks[1];
        Assert.Equal(LoadRun.ServicesRanCheck, check.Name);
        Assert.Equal("FAILED", check.Outcome);
        Assert.StartsWith("worker-1 (pid 5967) exited with code 137 (SIGKILL) at 21:20:13; started again", check.Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void A_phase_during_which_every_service_ran_is_left_as_it_was()
    {
        var passed = Fixtures.Result("queue-e2e", 20_000, [1, 2, 3]);

        Assert.Same(passed, LoadRun.WithServiceExits(passed, []));
    }
}
