using System.Globalization;
using AgentSystem.Load.Scenarios;

namespace AgentSystem.Load.Reports;

/// <summary>
/// A metric of this run beside an earlier run's (<c>--baseline FILE</c>), and whether it changed for the better by more
/// than the tolerance: runs of one build minutes apart on a shared machine differ by tens of percent, so a smaller
/// change is no verdict.
/// </summary>
/// <param name="Tolerance">The largest change, as a fraction (0.1 is 10 %), that is not called better or worse.</param>
/// <param name="Count">A count (errors): shown as a whole number.</param>
/// <param name="Context">A reference row (redis-benchmark, wrk): it measures the machine, not the build, so no verdict.</param>
internal sealed record MetricChange(string Subject, string Metric, double? Before, double? After, bool HigherIsBetter, double Tolerance, bool Count = false, bool Context = false)
{
    public double? Change => Before is { } before && After is { } after && before != 0 ? (after - before) / Math.Abs(before) : null;

    /// <summary>"+12.5 %", "-3.0 %", "from 0" (no percentage of nothing: errors appearing), or "new"/"gone" when one side is missing.</summary>
    public string ChangeText => (Before, After) switch
    {
        (null, not null) => "new",
        (not null, null) => "gone",
        (0, not 0) => "from 0",
        _ when Change is { } change => (change >= 0 ? "+" : "") + (change * 100).ToString("#,0.0", CultureInfo.InvariantCulture) + " %",
        _ => "-",
    };

    /// <summary>
    /// True when better, false when worse, by more than <see cref="Tolerance"/>; null within it or not comparable. From 0
    /// (errors appearing) is a verdict whatever the tolerance: no share of nothing measures it.
    /// </summary>
    public bool? Better => (Before, After) switch
    {
        _ when Context => null,
        (0, { } after and not 0) => (after > 0) == HigherIsBetter,
        _ when Change is { } change && Math.Abs(change) > Tolerance => (change > 0) == HigherIsBetter,
        _ => null,
    };

    /// <summary>"better", "worse", "unchanged", "within tolerance", "the machine" for a reference row, or "" when one run lacks the metric.</summary>
    public string Verdict => Better switch
    {
        null when Context => "the machine",
        true => "better",
        false => "worse",
        null when Before is null || After is null => "",
        null when Before == After => "unchanged",
        null => "within tolerance",
    };
}

/// <summary>
/// This run against an earlier summary: the file, the tolerance the changes were judged with, the changes, and what
/// the baseline measured that this run did not (scenarios and references left out, as by --scenarios).
/// </summary>
/// <param name="Caution">Why the two runs compare poorly (phases of different lengths, a busier machine), or null.</param>
/// <param name="RunAt">When the baseline's run ended: its path names a file that later runs replace (previous/summary.json).</param>
internal sealed record BaselineComparison(
    string Path, double Tolerance, IReadOnlyList<MetricChange> Changes, IReadOnlyList<string>? NotRun = null, string? Caution = null,
    DateTimeOffset? RunAt = null);

internal static class Baseline
{
    /// <summary>
    /// Per scenario: rate (the share of its target achieved, when the two runs' targets differ), rate ÷ reference (when
    /// it has one), p50, p99, p99.9 and errors, each judged with <paramref name="tolerance"/> (a fraction: 0.1 is 10 %);
    /// queue-kill, the SIGKILL check, its errors only (its rate and latency include a fixed wait for leases to expire);
    /// per reference row its rate, for context. Matched by name.
    /// </summary>
    public static IReadOnlyList<MetricChange> Compare(Summary before, Summary after, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<MetricChange>();
        // What this run measured: a scenario or reference it left out (a run of some scenarios) is named apart (NotRun),
        // not listed metric by metric as gone.
        var names = after.Scenarios.Select(s => s.Name);
        foreach (var name in names)
        {
            var old = before.Scenarios.FirstOrDefault(s => s.Name == name);
            var now = after.Scenarios.FirstOrDefault(s => s.Name == name);
            if (name == EndToEndScenarios.Kill)
            {
                changes.Add(Errors(name, old, now, tolerance));
                continue;
            }

            // An open phase runs at a target: two runs at different targets compare on the share of it achieved, not on rps.
            if (old?.TargetRps is > 0 and var oldTarget && now?.TargetRps is > 0 and var nowTarget && Math.Abs(nowTarget - oldTarget) > 0.01 * oldTarget)
            {
                changes.Add(new(name, "rps ÷ target", old.Rps / oldTarget, now.Rps / nowTarget, HigherIsBetter: true, tolerance));
            }
            else
            {
                changes.Add(new(name, "rps", old?.Rps, now?.Rps, HigherIsBetter: true, tolerance));
            }

            // The rate as a fraction of its reference measured in the same run: what moves with the machine's load cancels out.
            // Not for an open phase: its rate follows its target, so the fraction moves with the target, not the system; nor
            // against another yardstick (queue-e2e's changed on 2026-12-07), whose fraction moves with the yardstick.
            if ((old?.ReferenceRatio is not null || now?.ReferenceRatio is not null) && old?.TargetRps is null && now?.TargetRps is null
                && (old?.Reference is null || now?.Reference is null || old.Reference == now.Reference))
            {
                changes.Add(new(name, "÷ reference", old?.ReferenceRatio, now?.ReferenceRatio, HigherIsBetter: true, tolerance));
            }

            changes.Add(new(name, "p50 ms", old?.P50Ms, now?.P50Ms, HigherIsBetter: false, tolerance));
            changes.Add(new(name, "p99 ms", old?.P99Ms, now?.P99Ms, HigherIsBetter: false, tolerance));
            changes.Add(new(name, "p99.9 ms", old?.P999Ms, now?.P999Ms, HigherIsBetter: false, tolerance));
            changes.Add(Errors(name, old, now, tolerance));
        }

        var rows = after.Reference.RedisBenchmark.Concat(after.Reference.Wrk).Select(r => r.Name);
        foreach (var row in rows)
        {
            changes.Add(new(row, "rps", before.Reference.Find(row)?.Rps, after.Reference.Find(row)?.Rps, HigherIsBetter: true, tolerance, Context: true));
        }

        return changes;
    }

    // Counted in steps, which may carry many jobs each: the metric names the step.
    private static MetricChange Errors(string name, ScenarioSummary? old, ScenarioSummary? now, double tolerance) =>
        new(name, $"errors ({now?.StepUnit ?? old?.StepUnit ?? "calls"})", old?.Errors, now?.Errors, HigherIsBetter: false, tolerance, Count: true);

    /// <summary>
    /// A caution when the runs' phases lasted different lengths (a baseline of 3 s phases against a --duration 10s run):
    /// a phase's rate and tail move with its length (warm-up, the tail's bursts), so such changes are not the build's.
    /// </summary>
    public static string? LengthCaution(Summary before, Summary after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var differing = after.Scenarios
            .Where(s => s.Name != EndToEndScenarios.Kill)
            .Select(s => (s.Name, Now: s.DurationSeconds, Old: before.Scenarios.FirstOrDefault(b => b.Name == s.Name)?.DurationSeconds))
            .FirstOrDefault(p => p.Old is > 0 and var old && Math.Abs(p.Now - old) > 0.25 * old);
        return differing.Old is { } seconds
            ? string.Create(CultureInfo.InvariantCulture,
                $"the phases ran for different lengths ({differing.Name}: {seconds:0.#} s in the baseline, {differing.Now:0.#} s now), and a phase's rate and tail move with its length: compare runs of one --duration")
            : null;
    }

    /// <summary>
    /// A caution when most of the reference rows this run's scenarios are measured against (<paramref name="yardsticks"/>)
    /// moved beyond the tolerance the same way: the machine was busier or quieter than in the baseline (helper-91: "7
    /// worse" while redis-benchmark's rows fell 19 to 73 %). Rows beside no scenario of this run (the -P1 rows of a
    /// queue-e2e run, measured at its end) say nothing about its phases' minutes (helper-120).
    /// </summary>
    public static string? MachineCaution(IReadOnlyList<MetricChange> changes, double tolerance, IReadOnlySet<string> yardsticks)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(yardsticks);
        var moved = changes.Where(c => c.Context && yardsticks.Contains(c.Subject) && c.Change is not null).Select(c => c.Change!.Value).ToList();
        var (down, up) = (moved.Count(c => c < -tolerance), moved.Count(c => c > tolerance));
        if (moved.Count == 0 || Math.Max(down, up) * 2 <= moved.Count)
        {
            return null;
        }

        // To a tenth, as the comparison's rows: a row just beyond 10 % read "-10" (helper-129: "moved -10 to -10 %", one row).
        static string Percent(double change) => (change * 100).ToString("+0.#;-0.#", CultureInfo.InvariantCulture);
        var (least, most) = (Percent(moved.Min()), Percent(moved.Max()));
        return $"the machine was {(down > up ? "busier" : "quieter")} than in the baseline: the reference {(moved.Count == 1 ? "row" : "rows")} this run's scenarios"
            + $" are measured against moved {(least == most ? least : $"{least} to {most}")} %,"
            + " so their rates compare best on the ÷ reference rows, which take the machine out";
    }

    /// <summary>The reference rows the scenarios of <paramref name="summary"/> were measured against.</summary>
    public static IReadOnlySet<string> Yardsticks(Summary summary) =>
        summary.Scenarios.Select(s => s.Reference).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The --scenarios names whose phases are among <paramref name="notRun"/> (a phase is its scenario's, the
    /// scenario's open one, or queue-kill, queue-e2e's SIGKILL check): what to pass to measure them again.
    /// </summary>
    public static IReadOnlyList<string> ScenariosOf(IEnumerable<string> notRun)
    {
        ArgumentNullException.ThrowIfNull(notRun);
        static string? ScenarioOf(string phase) => phase == EndToEndScenarios.Kill ? LoadArguments.EndToEnd : LoadArguments.ScenarioOfPhase(phase);
        var phases = notRun.ToHashSet(StringComparer.Ordinal);
        return [.. LoadArguments.ScenarioNames.Where(s => phases.Any(p => ScenarioOf(p) == s))];
    }

    /// <summary>
    /// The scenarios and reference rows of <paramref name="before"/> that <paramref name="after"/> did not measure, the
    /// only text of the baseline the reports show: a control character in one is shown as \uXXXX, since the file may be
    /// anyone's (a pull request's CI artifact) and the console prints it to a terminal, which obeys escape sequences.
    /// </summary>
    public static IReadOnlyList<string> NotRun(Summary before, Summary after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        static IEnumerable<string> Measured(Summary summary) =>
            summary.Scenarios.Select(s => s.Name).Concat(summary.Reference.RedisBenchmark.Concat(summary.Reference.Wrk).Select(r => r.Name));
        static string Printable(string name) =>
            string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return [.. Measured(before).Except(Measured(after), StringComparer.Ordinal).Select(Printable)];
    }
}
