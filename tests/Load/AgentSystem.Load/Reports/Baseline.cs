using System.Globalization;

namespace AgentSystem.Load.Reports;

/// <summary>A metric of this run beside an earlier run's (<c>--baseline FILE</c>), and whether the change is for the better.</summary>
/// <param name="Count">A count (errors): shown as a whole number.</param>
internal sealed record MetricChange(string Subject, string Metric, double? Before, double? After, bool HigherIsBetter, bool Count = false)
{
    public double? Change => Before is { } before && After is { } after && before != 0 ? (after - before) / Math.Abs(before) : null;

    /// <summary>"+12.5 %", "-3.0 %", "from 0" (no percentage of nothing: errors appearing), or "new"/"gone" when one side is missing.</summary>
    public string ChangeText => (Before, After) switch
    {
        (null, not null) => "new",
        (not null, null) => "gone",
        (0, not 0) => "from 0",
        _ when Change is { } change => (change >= 0 ? "+" : "") + (change * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %",
        _ => "-",
    };

    /// <summary>True when better, false when worse, null when unchanged within 1 % or not comparable.</summary>
    public bool? Better => (Before, After) switch
    {
        (0, { } after and not 0) => (after > 0) == HigherIsBetter,
        _ when Change is { } change && Math.Abs(change) >= 0.01 => (change > 0) == HigherIsBetter,
        _ => null,
    };
}

internal static class Baseline
{
    /// <summary>
    /// Per scenario: rate (the share of its target achieved, when the two runs' targets differ), rate ÷ reference (when
    /// it has one), p50, p99, p99.9 and errors; per reference row: its rate; matched by name.
    /// </summary>
    public static IReadOnlyList<MetricChange> Compare(Summary before, Summary after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<MetricChange>();
        var names = after.Scenarios.Select(s => s.Name).Concat(before.Scenarios.Select(s => s.Name)).Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var old = before.Scenarios.FirstOrDefault(s => s.Name == name);
            var now = after.Scenarios.FirstOrDefault(s => s.Name == name);
            // An open phase runs at a target: two runs at different targets compare on the share of it achieved, not on rps.
            if (old?.TargetRps is > 0 and var oldTarget && now?.TargetRps is > 0 and var nowTarget && Math.Abs(nowTarget - oldTarget) > 0.01 * oldTarget)
            {
                changes.Add(new(name, "rps ÷ target", old.Rps / oldTarget, now.Rps / nowTarget, HigherIsBetter: true));
            }
            else
            {
                changes.Add(new(name, "rps", old?.Rps, now?.Rps, HigherIsBetter: true));
            }

            // The rate as a fraction of its reference measured in the same run: what moves with the machine's load cancels out.
            if (old?.ReferenceRatio is not null || now?.ReferenceRatio is not null)
            {
                changes.Add(new(name, "÷ reference", old?.ReferenceRatio, now?.ReferenceRatio, HigherIsBetter: true));
            }

            changes.Add(new(name, "p50 ms", old?.P50Ms, now?.P50Ms, HigherIsBetter: false));
            changes.Add(new(name, "p99 ms", old?.P99Ms, now?.P99Ms, HigherIsBetter: false));
            changes.Add(new(name, "p99.9 ms", old?.P999Ms, now?.P999Ms, HigherIsBetter: false));
            // Counted in steps, which may carry many jobs each: the metric names the step.
            changes.Add(new(name, $"errors ({now?.StepUnit ?? old?.StepUnit ?? "calls"})", old?.Errors, now?.Errors, HigherIsBetter: false, Count: true));
        }

        var rows = after.Reference.RedisBenchmark.Concat(after.Reference.Wrk).Select(r => r.Name)
            .Concat(before.Reference.RedisBenchmark.Concat(before.Reference.Wrk).Select(r => r.Name)).Distinct(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            changes.Add(new(row, "rps", before.Reference.Find(row)?.Rps, after.Reference.Find(row)?.Rps, HigherIsBetter: true));
        }

        return changes;
    }
}
