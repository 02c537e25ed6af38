using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>The queue scenarios' CI thresholds, closed and open.</summary>
public sealed class QueueThresholdTests
{
    [Fact]
    public void A_closed_queue_phase_must_reach_a_floor_rate_an_open_one_at_any_rate_is_judged_on_its_tail()
    {
        var closed = Threshold.Loose(Simulation.KeepConstant(50, TimeSpan.FromSeconds(3)), closedFloor: 500);
        var open = Threshold.Loose(Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)), closedFloor: 500);

        Assert.Equal(["errors < 1 %", "rate >= 500/s"], closed.Select(threshold => threshold.Description));
        Assert.Equal(["errors < 1 %", "p99 < 5,000 ms"], open.Select(threshold => threshold.Description));
    }
}
