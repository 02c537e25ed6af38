using HdrHistogram;

namespace AgentSystem.Load.Harness;

/// <summary>Latencies in an HDR histogram: microseconds from 1 µs to an hour, three significant digits.</summary>
internal static class Latency
{
    public const long Highest = 3_600_000_000;

    public static HistogramBase NewHistogram() =>
        HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(Highest).WithPrecisionOf(3).Create();

    public static Recorder NewRecorder() => new(1, Highest, 3, static (id, low, high, digits) => new LongHistogram(id, low, high, digits));

    public static long Microseconds(TimeSpan latency) => Math.Clamp((long)Math.Round(latency.TotalMicroseconds), 1, Highest);
}

/// <summary>A latency distribution in milliseconds: count, mean, the usual percentiles and the maximum.</summary>
internal sealed class LatencySummary
{
    private readonly HistogramBase _histogram;

    public LatencySummary(HistogramBase histogram)
    {
        this._histogram = histogram;
        Count = histogram.TotalCount;
    }

    public static LatencySummary Empty { get; } = new(Latency.NewHistogram());

    public long Count { get; }

    public double Mean => Count == 0 ? 0 : _histogram.GetMean() / 1000;

    public double P50 => AtPercentile(50);

    public double P75 => AtPercentile(75);

    public double P95 => AtPercentile(95);

    public double P99 => AtPercentile(99);

    public double P999 => AtPercentile(99.9);

    public double Max => Count == 0 ? 0 : _histogram.GetMaxValue() / 1000.0;

    public double AtPercentile(double percentile) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>The percentile curve for a chart: (percentile, ms), denser towards the tail.</summary>
    public IReadOnlyList<(double Percentile, double Milliseconds)> Distribution() =>
        Count == 0 ? [] : [.. _histogram.Percentiles(5).Select(v => (v.Percentile, v.ValueIteratedTo / 1000.0)).DistinctBy(p => p.Percentile)];
}

/// <summary>
/// One tick of a run (<see cref="ScenarioResult.Tick"/>), ending at <paramref name="Second"/>: the completed work and the
/// target per second, the latencies of the work completed in it, CPU.
/// </summary>
internal sealed record TimelinePoint(
    double Second, double Rate, double Target, double P50, double P99, long Errors, double GeneratorCores, double MachineBusy,
    IReadOnlyDictionary<string, double> Processes);
