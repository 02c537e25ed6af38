using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>The load simulations' targets and the open model's schedule (how many invocations are due, and when).</summary>
public sealed class SimulationTests
{
    [Fact]
    public void A_constant_injection_is_due_evenly_and_totals_rate_times_duration()
    {
        var inject = Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));

        Assert.True(inject.IsOpen);
        Assert.Equal(100, Injection.DueBy(inject, 0, TimeSpan.FromSeconds(0.5)));
        Assert.Equal(600, Injection.DueBy(inject, 0, TimeSpan.FromSeconds(3)));
        Assert.Equal(600, Injection.DueBy(inject, 0, TimeSpan.FromSeconds(10)));   // nothing after the end
        Assert.Equal(TimeSpan.FromSeconds(0.005), Injection.DueAt(inject, 0, 0));
        Assert.Equal(TimeSpan.FromSeconds(1), Injection.DueAt(inject, 0, 199));
    }

    [Fact]
    public void A_ramping_injection_starts_from_the_previous_rate_and_its_schedule_inverts_the_count()
    {
        // 0 to 100 per second over 2 s: the integral is 100 invocations, a quarter of them in the first second.
        var ramp = Simulation.RampingInject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        Assert.Equal(50, ramp.TargetAt(TimeSpan.FromSeconds(1), previous: 0));
        Assert.Equal(25, Injection.DueBy(ramp, 0, TimeSpan.FromSeconds(1)));
        Assert.Equal(100, Injection.DueBy(ramp, 0, TimeSpan.FromSeconds(2)));
        for (var index = 0L; index < 100; index += 7)
        {
            var due = Injection.DueAt(ramp, 0, index);
            Assert.Equal(index + 1, Injection.DueBy(ramp, 0, due + TimeSpan.FromTicks(10)));
        }
    }

    [Fact]
    public void Closed_simulations_keep_or_ramp_their_copies()
    {
        var keep = Simulation.KeepConstant(10, TimeSpan.FromSeconds(5));
        var ramp = Simulation.RampingConstant(30, TimeSpan.FromSeconds(4));

        Assert.False(keep.IsOpen);
        Assert.Equal(10, keep.TargetAt(TimeSpan.FromSeconds(3), previous: 0));
        Assert.Equal(20, ramp.TargetAt(TimeSpan.FromSeconds(2), previous: keep.EndTarget(0)));
        Assert.Equal(30, ramp.EndTarget(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Simulation.KeepConstant(0, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void An_injection_rate_is_described_with_its_thousands_grouped()
    {
        Assert.Equal("inject 1,669.4 calls a second for 3 s", Simulation.Inject(1669.4, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)).Describe("calls"));
    }
}
