using AgentSystem.Load.Scenarios;

namespace AgentSystem.Load.Tests;

/// <summary>Claim-ack's pre-fill, sized from the calibrated rate so that the measured part lasts --duration.</summary>
public sealed class ClaimSizingTests
{
    [Theory]
    [InlineData(140_000, 3, 420_000)]     // CI's duration at today's rate: was 60,000, a seventh of it
    [InlineData(140_000, 0.5, 140_000)]   // a second at least
    [InlineData(83_767, 3, 251_296)]      // in whole claims of 16: 251,301 would leave 5 jobs queued
    [InlineData(2_000, 3, QueueScenarios.CalibrationJobs)]   // never fewer than a calibration drains
    [InlineData(140_000, 60, QueueScenarios.MostClaimJobs)]  // nor more than Redis should hold for it
    [InlineData(double.NaN, 3, QueueScenarios.CalibrationJobs)]
    [InlineData(double.PositiveInfinity, 3, QueueScenarios.CalibrationJobs)]
    public void The_fill_lasts_the_duration_at_the_calibrated_rate_within_its_bounds(double jobsPerSecond, double seconds, long expected) =>
        Assert.Equal(expected, QueueScenarios.ClaimJobs(jobsPerSecond, TimeSpan.FromSeconds(seconds)));
}
