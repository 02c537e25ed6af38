using System.Globalization;
using System.Net;
using System.Text;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Reports;

/// <summary>
/// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched): the verdict, goals, per
/// scenario the rate over time against its target, latency over time, the latency distribution and the thresholds,
/// then the references, CPU and the baseline comparison.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1340px; color: #1d2430; padding: 0 16px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d8dde6; } h3 { font-size: 15px; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
        th, td { border: 1px solid #d8dde6; padding: 3px 8px; text-align: right; } th { background: #f3f5f9; }
        .text { text-align: left; }
        .passed { color: #1a7f37; font-weight: 600; } .failed { color: #c62828; font-weight: 600; } .unmet { color: #9a6700; font-weight: 600; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } .chart { width: 430px; height: auto; background: #fbfcfe; border: 1px solid #e4e8ef; }
        .chart text { font-size: 14px; fill: #4a5566; } .chart .title { font-size: 16px; font-weight: 600; fill: #1d2430; }
        .chart .grid { stroke: #e4e8ef; } .chart .point { opacity: 0; } .chart .point:hover { opacity: 1; }
        .note { color: #4a5566; }
        """;

    private static readonly string[] Colors = ["#1f6feb", "#d9480f", "#2f9e44", "#9c36b5", "#e8590c", "#1098ad"];

    public static string Render(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var summary = report.Summary;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Load test report</title><style>").Append(Style).Append("</style></head><body>");
        html.Append("<h1>Load test, ").Append(E(summary.CreatedAt.ToString("u", CultureInfo.InvariantCulture))).Append(": ")
            .Append(summary.Passed ? "<span class=\"passed\">all thresholds passed</span>" : "<span class=\"failed\">thresholds failed</span>")
            .Append(summary.GoalsVerdict() is { } goals ? E($"; {goals}") : "").Append("</h1>");
        html.Append("<p class=\"note\">").Append(E(summary.Machine.Describe())).Append("</p>");

        // The tables in the reports' order up to the scenarios' and the baseline's comparison beside them (as the console
        // and report.md have it), then each scenario's charts with its thresholds under them, then the rest.
        var tables = ReportTables.All(report).Where(t => t.Title != ReportTables.ThresholdsTitle).ToList();
        var lead = tables.FindIndex(t => t.Title == ReportTables.ScenariosTitle) + (report.Baseline is null ? 1 : 2);
        foreach (var table in tables.Take(lead))
        {
            AppendTable(html, table);
        }

        foreach (var result in report.Results)
        {
            html.Append("<h2 id=\"").Append(E(result.Name)).Append("\">").Append(E(result.Name)).Append("</h2><p>").Append(E(result.Description))
                .Append(" <span class=\"note\">").Append(E(result.Ran)).Append("</span></p><div class=\"charts\">");
            html.Append(RateChart(result)).Append(LatencyChart(result)).Append(DistributionChart(result)).Append("</div>");
            if (result.CallLatency is not null)
            {
                html.Append("<p class=\"note\">").Append(E(StepNote)).Append("</p>");
            }

            var checks = new Table(ReportTables.ThresholdsTitle, ["Threshold", "Measured", "Result"],
                [.. result.Checks.Select(c => (IReadOnlyList<string>)[c.Name, c.Measured, c.Outcome])], TextColumns: [0, 2]);
            AppendTable(html, checks, heading: false);
            foreach (var (error, count) in result.Errors)
            {
                html.Append("<p class=\"failed\">").Append(E($"×{count}: {error}")).Append("</p>");
            }
        }

        foreach (var table in tables.Skip(lead))
        {
            AppendTable(html, table);
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>A last bucket that measured less than half a tick is the load stopping, not a rate: the rate chart leaves it out.</summary>
    internal static TimeSpan ShortestLastBucket(ScenarioResult result) => result.Tick / 2;

    private static string RateChart(ScenarioResult result)
    {
        var timeline = RateTimeline(result);
        List<Series> series = [new($"achieved {result.Unit}/s", Colors[0], [.. timeline.Select(p => (p.Second, p.Rate))])];
        if (result.TargetRate is not null)
        {
            series.Add(new("target/s", Colors[1], [.. timeline.Where(p => p.Target > 0).Select(p => (p.Second, p.Target))], Dashed: true));
        }

        series.AddRange(Guides(series, result.Thresholds.OfType<RateThreshold>().Select(t => (t.Description, t.PerSecond))));
        return SvgChart.Line("Rate over time", "seconds", $"{result.Unit}/s", series);
    }

    /// <summary>
    /// The timeline without its trailing partial buckets: a point covers the time since the one before, and what of it
    /// came before the last completed work (<see cref="ScenarioResult.Duration"/>) was measured. The last one ends the
    /// run part way through a tick, when little but the in-flight work completes, and drew a fake collapse of the rate
    /// at the end of every chart (13,111 jobs/s, then 3,438 over the last 0.05 s). One of half a tick or more stays:
    /// its rate is already per second of the part that ran.
    /// </summary>
    internal static IReadOnlyList<TimelinePoint> RateTimeline(ScenarioResult result)
    {
        var points = result.Timeline.ToList();
        while (points.Count > 1)
        {
            var measured = Math.Min(points[^1].Second, result.Duration.TotalSeconds) - points[^2].Second;
            if (measured >= ShortestLastBucket(result).TotalSeconds)
            {
                break;
            }

            points.RemoveAt(points.Count - 1);
        }

        return points;
    }

    /// <summary>
    /// Over the seconds the rate chart shows; a second in which no work finished (queue-kill's wait for the leases) has
    /// no latency, and is a gap in the lines.
    /// </summary>
    internal static string LatencyChart(ScenarioResult result)
    {
        var timeline = RateTimeline(result);
        List<Series> series =
        [
            new("p50", Colors[2], [.. timeline.Select(p => (p.Second, p.Rate > 0 ? p.P50 : double.NaN))]),
            new("p99", Colors[3], [.. timeline.Select(p => (p.Second, p.Rate > 0 ? p.P99 : double.NaN))]),
        ];
        series.AddRange(Guides(series, LatencyLimits(result)));
        return SvgChart.Line("Latency over time", "seconds", "ms", series);
    }

    /// <summary>Under a distribution with a step line: what the two lines measure (helper-61 found the dashed one unexplained).</summary>
    internal const string StepNote =
        "latency: the scenario's own measure, from the moment the work was due to its stored result; step (dashed): each "
        + "invocation from its start to its end, as the description above says what one does: a closed phase's copy waits "
        + "for the results of everything it enqueued (so a step of many jobs outlasts most of them), an open phase's step "
        + "is its call alone (the results are awaited apart, and the latency counts from the moment the call was due).";

    private static string DistributionChart(ScenarioResult result)
    {
        List<Series> series = [new("latency", Colors[0], [.. result.Latency.Distribution().Select(p => (SvgChart.PercentileX(p.Percentile), p.Milliseconds))])];
        if (result.CallLatency is { } call)
        {
            series.Add(new("step", Colors[5], [.. call.Distribution().Select(p => (SvgChart.PercentileX(p.Percentile), p.Milliseconds))], Dashed: true));
        }

        series.AddRange(Guides(series, LatencyLimits(result)));
        return SvgChart.Line("Latency distribution", "percentile", "ms", series, SvgChart.PercentileTicks, SvgChart.PercentileText);
    }

    private static IEnumerable<(string Name, double Value)> LatencyLimits(ScenarioResult result) =>
        result.Thresholds.OfType<LatencyThreshold>().Select(t => (t.Description, t.Milliseconds));

    /// <summary>
    /// Each threshold as a dashed line across the measured series' x range, where it does not squash them: a limit
    /// more than twice the highest measured value (CI's loose p99 < 5 s against tens of ms) is left to the table.
    /// </summary>
    internal static IEnumerable<Series> Guides(IReadOnlyList<Series> measured, IEnumerable<(string Name, double Value)> limits)
    {
        var points = SvgChart.Plotted(measured);
        if (points.Count == 0)
        {
            yield break;
        }

        var (xMin, xMax, yMax) = (points.Min(p => p.X), points.Max(p => p.X), points.Max(p => p.Y));
        foreach (var (name, value) in limits.Where(limit => limit.Value <= 2 * yMax))
        {
            yield return new Series($"threshold: {name}", "#c92a2a", [(xMin, value), (xMax, value)], Dashed: true);
        }
    }

    private static void AppendTable(StringBuilder html, Table table, bool heading = true)
    {
        if (heading)
        {
            html.Append("<h2>").Append(E(table.Title)).Append("</h2>");
            if (table.Note is { } note)
            {
                html.Append("<p class=\"note\">").Append(E(note)).Append("</p>");
            }
        }

        // A cell's classes: its verdict's colour, if any, and "text" in a column of words (aligned left).
        string Classes(string? state, int column) =>
            string.Join(' ', new[] { state, table.IsText(column) ? "text" : null }.OfType<string>()) is { Length: > 0 } classes ? $" class=\"{classes}\"" : "";
        html.Append("<table><tr>");
        foreach (var (header, column) in table.Headers.Select((header, column) => (header, column)))
        {
            html.Append("<th").Append(Classes(null, column)).Append('>').Append(E(header)).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            foreach (var (cell, column) in row.Select((cell, column) => (cell, column)))
            {
                // A goal not met yet is no failure of the run (the thresholds are): amber, not red.
                var state = cell switch { "passed" or "yes" or "better" => "passed", "FAILED" or "worse" => "failed", "no" => "unmet", _ => null };
                html.Append("<td").Append(Classes(state, column)).Append('>').Append(E(cell)).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
