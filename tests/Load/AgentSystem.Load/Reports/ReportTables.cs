using System.Globalization;
using static AgentSystem.Load.Harness.Figures;

namespace AgentSystem.Load.Reports;

/// <summary>A table of text: every report (console, Markdown, HTML) renders the same tables.</summary>
/// <param name="Title">A short heading.</param>
/// <param name="Note">What the reader needs to read the rows right (how they ran, what was left out), under the heading.</param>
/// <param name="TextColumns">The columns of words rather than figures, aligned left (the others right); the first when null.</param>
internal sealed record Table(string Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows, string? Note = null, IReadOnlyList<int>? TextColumns = null)
{
    public bool IsText(int column) => TextColumns?.Contains(column) ?? column == 0;
}

/// <summary>The tables of a report, built once from the summary.</summary>
internal static class ReportTables
{
    public const string ScenariosTitle = "Scenarios";
    public const string ThresholdsTitle = "Thresholds and checks";

    /// <summary>
    /// In the order every report shows them, the goals first (what the run is for), then the scenarios; a table with no
    /// rows is left out (a run of one scenario may reach no goal, or have no reference).
    /// </summary>
    public static IEnumerable<Table> All(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Tables(report).Where(table => table.Rows.Count > 0);
    }

    private static IEnumerable<Table> Tables(LoadReport report)
    {
        yield return Goals(report.Summary);
        yield return Scenarios(report.Summary);
        if (report.Baseline is { } baseline)
        {
            yield return Baseline(baseline);   // next to the figures it compares, not below the CPU table
        }

        yield return Thresholds(report.Summary);
        yield return Reference(report.Summary);
        yield return Cpu(report.Summary);
        yield return CpuPerItem(report.Summary);
    }

    public static Table Scenarios(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new(ScenariosTitle, ["Scenario", "Rate", "Target", "p50 ms", "p75 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "Errors", "÷ reference", "Thresholds"],
            [.. summary.Scenarios.Select(s => (IReadOnlyList<string>)[
                s.Name, $"{Format(s.Rps)} {s.Unit}/s", s.TargetRps is { } target ? $"{Format(target)}/s" : "closed", Format(s.P50Ms), Format(s.P75Ms), Format(s.P95Ms), Format(s.P99Ms),
                Format(s.P999Ms), Format(s.MaxMs), Share(s.Errors, s.Requests, s.StepUnit), s.ReferenceRatio is { } ratio ? $"{Format(ratio)} × {s.Reference}" : "-",
                s.ThresholdsPassed ? "passed" : "FAILED"])], TextColumns: [0, 11]);
    }

    public static Table Thresholds(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new(ThresholdsTitle, ["Scenario", "Threshold", "Measured", "Result"],
            [.. summary.Scenarios.SelectMany(s => s.Thresholds.Select(t => (IReadOnlyList<string>)[s.Name, t.Name, t.Measured, t.Outcome]))], TextColumns: [0, 1, 3]);
    }

    public static Table Goals(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new("Goals (reported, not asserted)", ["Goal", "Aim", "Achieved", "Met", "Starting point"],
            [.. summary.Goals.Select(g => (IReadOnlyList<string>)[g.Name, g.Goal, g.Achieved, g.Met switch { true => "yes", false => "no", null => "-" }, g.Before ?? "-"])],
            "Starting point: what the system did before the queue path was made fast, measured otherwise (docs/load.md, Scenarios).",
            TextColumns: [0, 1, 2, 3, 4]);
    }

    public static Table Reference(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new("Reference, same run", ["Reference", "Command", "Clients", "Pipeline", "Rate", "p50 ms", "p99 ms"],
            [.. summary.Reference.RedisBenchmark.Concat(summary.Reference.Wrk).Select(r => (IReadOnlyList<string>)[
                r.Name, r.Command, Format(r.Clients, decimals: false), Format(r.Pipeline, decimals: false),
                r.JobsPerCall > 1 ? $"{Format(r.Rps)}/s ({Format(r.Jobs)} jobs/s)" : $"{Format(r.Rps)}/s", r.P50Ms is { } p50 ? Format(p50) : "-", r.P99Ms is { } p99 ? Format(p99) : "-"])],
            summary.Reference.Conditions, TextColumns: [0, 1]);
    }

    public static Table Cpu(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var processes = Processes(summary);
        return new($"CPU in cores of {summary.Machine.Cores} (load average {Format(summary.Machine.LoadAverageStart)} at the start, {Format(summary.Machine.LoadAverageEnd)} at the end)",
            ["Scenario", "Generator", "Generator max", "Generator late p99 ms", "Generator GC pauses ms", "Machine busy", .. processes],
            [.. summary.Scenarios.Select(s => (IReadOnlyList<string>)[
                s.Name, Format(s.GeneratorCores ?? double.NaN), Format(s.GeneratorCoresMax ?? double.NaN), s.GeneratorLagP99Ms is { } lag ? Format(lag) : "-",
                s.GeneratorGcPauseMs is { } paused ? Format(paused) : "-", s.MachineBusy is { } busy ? $"{Format(busy * 100)} %" : "-",
                .. processes.Select(p => s.ProcessCores.TryGetValue(p, out var cores) ? Format(cores) : "-")])]);
    }

    /// <summary>
    /// The CPU table divided by each scenario's rate: what one job or task cost each process, and the whole machine
    /// (PostgreSQL, Redis and the kernel included). A run slower than another shows here which process spent more on
    /// each item, where the cores alone stay the same on a saturated machine.
    /// </summary>
    public static Table CpuPerItem(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var processes = Processes(summary);
        var cores = summary.Machine.Cores;
        return new("CPU per item in µs (cores ÷ rate)", ["Scenario", "Item", "Machine", "Generator", .. processes],
            [.. summary.Scenarios.Where(s => s.Rps > 0).Select(s => (IReadOnlyList<string>)[
                s.Name, s.Unit.TrimEnd('s'), PerItem(s.MachineBusy * cores, s.Rps), PerItem(s.GeneratorCores, s.Rps),
                .. processes.Select(p => PerItem(s.ProcessCores.TryGetValue(p, out var used) ? used : null, s.Rps))])],
            "The machine's column is everything that ran: the services, the generator, PostgreSQL, Redis, the kernel and anything else on the machine. "
            + "postgres and redis, when this run started their containers, count every process in each (PostgreSQL's connections are processes of their own).",
            TextColumns: [0, 1]);

        static string PerItem(double? usedCores, double rate) => usedCores is { } used && !double.IsNaN(used) ? Format(used * 1e6 / rate, decimals: false) : "-";
    }

    // The service processes and containers any scenario measured, in one order for both CPU tables.
    private static List<string> Processes(Summary summary) =>
        [.. summary.Scenarios.SelectMany(s => s.ProcessCores.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    // queue-kill and the open phases are not names --scenarios takes: say which to pass to run them again.
    private static string RunAgain(IReadOnlyList<string> notRun) =>
        Reports.Baseline.ScenariosOf(notRun) is [_, ..] scenarios ? $" (to run those phases again: --scenarios {string.Join(",", scenarios)})" : "";

    public static Table Baseline(BaselineComparison baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var better = baseline.Changes.Count(c => c.Better == true);
        var worse = baseline.Changes.Count(c => c.Better == false);
        var judged = baseline.Changes.Where(c => !c.Context).ToList();
        var oneSided = judged.Count(c => c.Better is null && (c.Before is null || c.After is null));   // new, gone, or in neither
        var references = baseline.Changes.Count - judged.Count;
        var run = baseline.RunAt is { } at ? $" (the run of {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z)" : "";
        return new($"Against the baseline {baseline.Path}{run}",
            ["Subject", "Metric", "Baseline", "This run", "Change", "Verdict"],
            [.. baseline.Changes.Select(c => (IReadOnlyList<string>)[
                c.Subject, c.Metric, c.Before is { } before ? Format(before, !c.Count) : "-", c.After is { } after ? Format(after, !c.Count) : "-", c.ChangeText, c.Verdict])],
            (baseline.Caution is { } caution ? $"Caution: {caution}. " : "")
                + $"{better} better, {worse} worse, {judged.Count - better - worse - oneSided} within ±{Declared(baseline.Tolerance * 100)} %, "
                + $"{oneSided} in one run only; errors appearing are always worse"
                + (references > 0 ? $"; {references} reference rows show how the machine moved (no verdict)" : "")
                + (baseline.NotRun is [_, ..] notRun ? $"; not run this time, left out: {string.Join(", ", notRun)}{RunAgain(notRun)}" : "")
                + ".",
            TextColumns: [0, 1, 5]);
    }
}
