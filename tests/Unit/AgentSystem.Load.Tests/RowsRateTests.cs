using AgentSystem.Load.Scenarios;

namespace AgentSystem.Load.Tests;

/// <summary>The rate a closed end-to-end phase's rows are sized for, from its warm-up's last step.</summary>
public sealed class RowsRateTests
{
    [Fact]
    public void Half_as_much_again_as_the_warm_up_made_when_that_is_above_the_floor() =>
        Assert.Equal(63_000, EndToEndScenarios.RowsRate(50_000, warmUpJobs: 84_000, TimeSpan.FromSeconds(2)), precision: 6);

    [Fact]
    public void The_floor_when_the_warm_up_was_slower_or_made_nothing()
    {
        Assert.Equal(50_000, EndToEndScenarios.RowsRate(50_000, warmUpJobs: 20_000, TimeSpan.FromSeconds(1)));
        Assert.Equal(50_000, EndToEndScenarios.RowsRate(50_000, warmUpJobs: 0, TimeSpan.FromSeconds(1)));
        Assert.Equal(50_000, EndToEndScenarios.RowsRate(50_000, warmUpJobs: 5_000, TimeSpan.Zero));
    }

    [Fact]
    public void A_warm_up_step_too_short_to_measure_asks_for_no_more_than_the_ceiling() =>
        Assert.Equal(500_000, EndToEndScenarios.RowsRate(50_000, warmUpJobs: 3_200, TimeSpan.FromTicks(1)));
}
