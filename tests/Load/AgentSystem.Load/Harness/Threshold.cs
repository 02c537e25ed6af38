using static AgentSystem.Load.Harness.Figures;

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

    /// <summary>
    /// CI's thresholds, loose enough for a shared or small machine: they catch a broken path, the goals in the report
    /// measure speed. A closed simulation must reach <paramref name="closedFloor"/>; an open one runs at the rate asked
    /// for, however low, so its tail is judged instead.
    /// </summary>
    public static Threshold[] Loose(LoadSimulation simulation, double closedFloor)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        return simulation.IsOpen ? [ErrorRateBelow(0.01), LatencyBelow(99, 5000)] : [ErrorRateBelow(0.01), RateAtLeast(closedFloor)];
    }
}

internal sealed record LatencyThreshold(double Percentile, double Milliseconds)
    : Threshold($"p{Declared(Percentile)} < {Declared(Milliseconds)} ms")
{
    public override CheckResult Check(ScenarioResult result)
    {
        var measured = result.Latency.AtPercentile(Percentile);
        return new(Description, result.Latency.Count > 0 && measured < Milliseconds,
            result.Latency.Count > 0 ? $"{Format(measured)} ms" : "no samples");
    }
}

internal sealed record ErrorRateThreshold(double Fraction)
    : Threshold($"errors < {Declared(Fraction * 100)} %")
{
    public override CheckResult Check(ScenarioResult result)
    {
        var total = result.Ok + result.Failed;
        var rate = total == 0 ? 0 : (double)result.Failed / total;
        return new(Description, total > 0 && rate < Fraction, $"{Format(rate * 100)} % ({Share(result.Failed, total, result.StepUnit)})");
    }
}

internal sealed record RateThreshold(double PerSecond)
    : Threshold($"rate >= {Declared(PerSecond)}/s")
{
    public override CheckResult Check(ScenarioResult result) =>
        new(Description, result.Rate >= PerSecond, $"{Format(result.Rate)} {result.Unit}/s");
}
