using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>A threshold declared with a scenario; a breach makes the run exit non-zero, naming it and the measured value.</summary>
internal abstract record Threshold(string Description)
{
    public abstract CheckResult Check(ScenarioResult result);

    /// <summary>The latency at <paramref name="percentile"/> (99 for p99) under <paramref name="milliseconds"/>.</summary>
    public static Threshold LatencyBelow(double percentile, double milliseconds) => new LatencyThreshold(percentile, milliseconds);

    /// <summary>Failed invocations as a fraction of all under <paramref name="fraction"/> (0.01 is 1 %).</summary>
    public static Threshold ErrorRateBelow(double fraction) => new ErrorRateThreshold(fraction);

    /// <summary>The achieved rate (units of work per second) at least <paramref name="perSecond"/>.</summary>
    public static Threshold RateAtLeast(double perSecond) => new RateThreshold(perSecond);

    protected static string Number(double value) => value.ToString(value >= 100 ? "0" : "0.###", CultureInfo.InvariantCulture);
}

internal sealed record LatencyThreshold(double Percentile, double Milliseconds)
    : Threshold($"p{Number(Percentile)} < {Number(Milliseconds)} ms")
{
    public override CheckResult Check(ScenarioResult result)
    {
        var measured = result.Latency.AtPercentile(Percentile);
        return new(Description, result.Latency.Count > 0 && measured < Milliseconds,
            result.Latency.Count > 0 ? $"{Number(measured)} ms" : "no samples");
    }
}

internal sealed record ErrorRateThreshold(double Fraction)
    : Threshold($"errors < {Number(Fraction * 100)} %")
{
    public override CheckResult Check(ScenarioResult result)
    {
        var total = result.Ok + result.Failed;
        var rate = total == 0 ? 0 : (double)result.Failed / total;
        return new(Description, total > 0 && rate < Fraction, $"{Number(rate * 100)} % ({result.Failed} of {total})");
    }
}

internal sealed record RateThreshold(double PerSecond)
    : Threshold($"rate >= {Number(PerSecond)}/s")
{
    public override CheckResult Check(ScenarioResult result) =>
        new(Description, result.Rate >= PerSecond, $"{Number(result.Rate)} {result.Unit}/s");
}
