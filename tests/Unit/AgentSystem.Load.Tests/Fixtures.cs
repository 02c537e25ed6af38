using AgentSystem.Load.Harness;
using AgentSystem.Load.Reports;

namespace AgentSystem.Load.Tests;

/// <summary>Results and summaries as the runner and the run would make them, without running anything.</summary>
internal static class Fixtures
{
    public static ScenarioResult Result(string name, double rate, double[] latenciesMs, string? reference = null)
    {
        var histogram = Latency.NewHistogram();
        foreach (var ms in latenciesMs)
        {
            histogram.RecordValue(Latency.Microseconds(TimeSpan.FromMilliseconds(ms)));
        }

        return new ScenarioResult
        {
            Name = name,
            Description = "",
            Unit = "jobs",
            StepUnit = "calls",
            Simulations = [],
            WarmUp = TimeSpan.Zero,
            Duration = TimeSpan.FromSeconds(1),
            Ok = latenciesMs.Length,
            Failed = 0,
            Items = latenciesMs.Length,
            Rate = rate,
            TargetRate = null,
            Latency = new LatencySummary(histogram),
            CallLatency = null,
            Timeline = [],
            Errors = [],
            Checks = [],
            Reference = reference,
        };
    }

    public static Summary SummaryOf(params ScenarioSummary[] scenarios) =>
        new(DateTimeOffset.UnixEpoch, new MachineInfo(2, "Linux", "10.0", 0, 0, ""), scenarios, ReferenceSummary.None, [], true);
}
