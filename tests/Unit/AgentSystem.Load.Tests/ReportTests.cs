using System.Text.Json;
using AgentSystem.Load.Harness;
using AgentSystem.Load.Reports;

namespace AgentSystem.Load.Tests;

/// <summary>Thresholds, summary.json's shape and the comparison with a baseline.</summary>
public sealed class ReportTests
{
    [Fact]
    public void Thresholds_name_the_limit_and_the_measured_value()
    {
        var result = Result("e2e", rate: 1200, latenciesMs: [.. Enumerable.Repeat(2.0, 98), 40, 40]);

        var p99 = Threshold.LatencyBelow(99, 10).Check(result);
        var rate = Threshold.RateAtLeast(1000).Check(result);

        Assert.Equal(("p99 < 10 ms", false), (p99.Name, p99.Passed));
        Assert.StartsWith("40", p99.Measured, StringComparison.Ordinal);
        Assert.Equal(("rate >= 1000/s", true, "1200 jobs/s"), (rate.Name, rate.Passed, rate.Measured));
        Assert.False(Threshold.LatencyBelow(99, 10).Check(Result("none", 0, [])).Passed);   // no samples never passes
    }

    [Fact]
    public void Summary_json_has_the_issue_shape_and_reads_back()
    {
        var reference = new ReferenceSummary([new ReferenceResult("redis-benchmark enqueue script -P1", "EVALSHA", 50, 1, 40_000, 1, 2)], []);
        var scenario = ScenarioSummary.From(Result("enqueue", 30_000, [1, 2, 3], reference: "redis-benchmark enqueue script -P1"), reference);
        var summary = new Summary(DateTimeOffset.UnixEpoch, new MachineInfo(2, "Linux", "10.0", 1, 1, ""), [scenario], reference, [], true);
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, summary.ToJson());
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var first = json.RootElement.GetProperty("scenarios")[0];

            foreach (var name in new[] { "name", "rps", "p50Ms", "p99Ms", "p999Ms", "errors", "thresholdsPassed" })
            {
                Assert.True(first.TryGetProperty(name, out _), name);
            }

            Assert.Equal(0.75, first.GetProperty("referenceRatio").GetDouble());
            Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("reference").ValueKind);
            Assert.Equal(30_000, Summary.Read(path).Scenarios[0].Rps);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_baseline_shows_each_metrics_change_and_whether_it_is_better()
    {
        var before = SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None));
        var after = SummaryOf(ScenarioSummary.From(Result("e2e", 1500, [10]), ReferenceSummary.None), ScenarioSummary.From(Result("http", 10, [1]), ReferenceSummary.None));

        var changes = Baseline.Compare(before, after);

        var rps = Assert.Single(changes, c => c is { Subject: "e2e", Metric: "rps" });
        Assert.Equal(("+50.0 %", (bool?)true), (rps.ChangeText, rps.Better));
        var p50 = Assert.Single(changes, c => c is { Subject: "e2e", Metric: "p50 ms" });
        Assert.Equal(("+100.0 %", (bool?)false), (p50.ChangeText, p50.Better));
        Assert.Equal("new", Assert.Single(changes, c => c is { Subject: "http", Metric: "rps" }).ChangeText);
    }

    [Fact]
    public void Cpu_means_leave_out_seconds_without_a_cpu_sample()
    {
        var none = new Dictionary<string, double>();
        var result = Result("e2e", 1000, [1]) with
        {
            Timeline =
            [
                new TimelinePoint(1, 1000, 0, 1, 2, 0, 0.2, 0.5, none),
                new TimelinePoint(2, 1000, 0, 1, 2, 0, double.NaN, double.NaN, none),   // read back from the store: no sample
                new TimelinePoint(3, 1000, 0, 1, 2, 0, 0.4, 0.7, none),
            ],
        };

        Assert.Equal(0.3, result.GeneratorCores, 6);
        Assert.Equal(0.4, result.GeneratorCoresMax, 6);
        Assert.Equal(0.6, result.MachineBusy, 6);
    }

    private static Summary SummaryOf(params ScenarioSummary[] scenarios) =>
        new(DateTimeOffset.UnixEpoch, new MachineInfo(2, "Linux", "10.0", 0, 0, ""), scenarios, ReferenceSummary.None, [], true);

    [Theory]
    [InlineData(0.004, "0.004")]   // 40 tasks/s against wrk's 10,000/s: not "0.00 ×"
    [InlineData(0.5, "0.50")]
    [InlineData(6.93, "6.93")]
    [InlineData(12.34, "12.3")]
    [InlineData(8083, "8,083")]
    public void A_figure_below_one_keeps_its_thousandths(double value, string shown) => Assert.Equal(shown, ReportTables.N(value));

    private static ScenarioResult Result(string name, double rate, double[] latenciesMs, string? reference = null)
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
}
