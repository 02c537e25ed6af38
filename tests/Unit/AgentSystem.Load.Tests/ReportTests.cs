using System.Text.Json;
using AgentSystem.Build.Engine;
using AgentSystem.Load.Harness;
using AgentSystem.Load.References;
using AgentSystem.Load.Reports;
using static AgentSystem.Load.Tests.Fixtures;

namespace AgentSystem.Load.Tests;

/// <summary>Thresholds, summary.json's shape, the tables and the charts.</summary>
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
        Assert.Equal(("rate >= 1,000/s", true, "1,200 jobs/s"), (rate.Name, rate.Passed, rate.Measured));
        Assert.False(Threshold.LatencyBelow(99, 10).Check(Result("none", 0, [])).Passed);   // no samples never passes
    }

    [Fact]
    public void The_thresholds_table_writes_a_figure_as_the_scenarios_table_does()
    {
        var result = Result("enqueue", rate: 18_364.2, latenciesMs: [3.456]) with { Thresholds = [Threshold.LatencyBelow(99.9, 5000), Threshold.RateAtLeast(500)] };
        var summary = SummaryOf(ScenarioSummary.From(result with { Checks = [.. result.Thresholds.Select(t => t.Check(result))] }, ReferenceSummary.None));

        var scenario = Assert.Single(ReportTables.Scenarios(summary).Rows);
        var thresholds = ReportTables.Thresholds(summary).Rows;

        Assert.Equal(["p99.9 < 5,000 ms", $"{scenario[7]} ms"], thresholds[0].Skip(1).Take(2));   // the limit as declared, the p99.9 as the scenarios table has it
        Assert.Equal(["rate >= 500/s", scenario[1]], thresholds[1].Skip(1).Take(2));
        Assert.Equal("18,364 jobs/s", scenario[1]);
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
    public void A_scenario_in_jobs_is_a_fraction_of_the_jobs_of_a_reference_whose_calls_carry_many()
    {
        // helper-139: queue-e2e's calls of 100 jobs were measured against the one-job row, which Redis beat 1.8 to 2.7 times.
        var row = new ReferenceResult(RedisBenchmark.EnqueueManyName(100, 16), "EVALSHA enqueue (100 jobs)", 50, 16, 1_000, 10, 20, JobsPerCall: 100);
        var reference = new ReferenceSummary([row], []);
        var scenario = ScenarioSummary.From(Result("queue-e2e", 25_000, [5], reference: row.Name), reference);

        Assert.Equal(0.25, scenario.ReferenceRatio);
        Assert.Equal("1,000/s (100,000 jobs/s)", Assert.Single(ReportTables.Reference(SummaryOf(scenario) with { Reference = reference }).Rows)[4]);
    }

    [Fact]
    public void Errors_are_counted_in_steps_named_with_the_work_a_step_carries()
    {
        var result = Result("queue-e2e", 1000, [5]) with { Ok = 14_466, Failed = 3, StepUnit = "enqueue calls of 100 jobs" };
        var summary = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None));

        var row = Assert.Single(ReportTables.Scenarios(summary).Rows);
        using var json = JsonDocument.Parse(summary.ToJson());
        var scenario = json.RootElement.GetProperty("scenarios")[0];

        Assert.Equal("3 of 14,469 enqueue calls of 100 jobs", row[9]);   // not "3 of 14469": 3 calls, up to 300 jobs
        Assert.Equal((3L, "enqueue calls of 100 jobs"), (scenario.GetProperty("errors").GetInt64(), scenario.GetProperty("stepUnit").GetString()));
    }

    [Fact]
    public void The_html_report_shows_each_table_once()
    {
        var reference = new ReferenceSummary([new ReferenceResult("redis-benchmark LPUSH -P1", "LPUSH", 50, 1, 40_000, 1, 2)], []);
        var result = Result("enqueue", 30_000, [1, 2, 3]);
        var summary = SummaryOf(ScenarioSummary.From(result, reference)) with
        {
            Reference = reference,
            Goals = [new GoalResult("enqueue vs redis-benchmark", ">= 0.60", "0.75", true)],
        };

        var html = HtmlReport.Render(new LoadReport(summary, [result], null));

        foreach (var title in ReportTables.All(new LoadReport(summary, [result], null)).Select(t => t.Title).Where(t => t != "Thresholds and checks"))
        {
            Assert.Equal(1, Occurrences(html, $"<h2>{System.Net.WebUtility.HtmlEncode(title)}</h2>"));
        }
    }

    [Fact]
    public void Every_report_leads_with_the_goals_and_leaves_out_a_table_without_rows()
    {
        var result = Result("claim-ack", 100_000, [1, 2, 3]);
        var withGoal = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None)) with { Goals = [new GoalResult("a goal", ">= 1", "2", true)] };
        var withoutGoal = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None));

        var led = ReportTables.All(new LoadReport(withGoal, [result], null)).Select(t => t.Title).ToList();
        var bare = ReportTables.All(new LoadReport(withoutGoal, [result], null)).Select(t => t.Title).ToList();

        Assert.Equal(["Goals (reported, not asserted)", "Scenarios"], led.Take(2));
        Assert.DoesNotContain(bare, title => title.StartsWith("Goals", StringComparison.Ordinal) || title.StartsWith("Reference", StringComparison.Ordinal));
        var html = HtmlReport.Render(new LoadReport(withGoal, [result], null));
        var goals = html.IndexOf("<h2>Goals", StringComparison.Ordinal);
        Assert.InRange(goals, 0, html.IndexOf("<h2>Scenarios", StringComparison.Ordinal));
        Assert.DoesNotContain("<h2>Goals", HtmlReport.Render(new LoadReport(withoutGoal, [result], null)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_says_how_long_it_warmed_up_and_how_long_its_measured_part_took()
    {
        var result = Result("claim-ack", 100_000, [1]) with
        {
            Simulations = ["50 copies until 300,000 claims"],
            WarmUp = TimeSpan.FromSeconds(2.04),
            Duration = TimeSpan.FromSeconds(3.43),
        };
        var report = new LoadReport(SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None)), [result], null);

        Assert.Equal("50 copies until 300,000 claims; warm-up 2.04 s; measured 3.43 s", result.Ran);
        Assert.Contains(result.Ran, HtmlReport.Render(report), StringComparison.Ordinal);
        Assert.Contains(result.Ran, MarkdownReport.Render(report), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(96_090.46)]
    [InlineData(12.34996)]
    [InlineData(1.2349)]
    [InlineData(0.12349)]
    public void A_figure_reads_the_same_in_the_summary_as_in_the_log(double rate)
    {
        var result = Result("claim-ack", rate, [1]);

        Assert.Equal(Figures.Format(result.Rate), Figures.Format(ScenarioSummary.From(result, ReferenceSummary.None).Rps));
    }

    [Fact]
    public void A_scenario_without_a_warm_up_of_its_own_says_so()
    {
        Assert.Equal("no warm-up of its own; measured 1.00 s", Result("claim-ack-at-rate", 1_000, [1]).Ran);
    }

    [Fact]
    public void A_goal_not_met_is_marked_apart_from_a_failed_threshold()
    {
        var result = Result("queue-e2e", 10_000, [1, 2, 3]);
        var summary = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None)) with
        {
            Goals = [new GoalResult("end to end", ">= 25,000 jobs/s", "10,000 jobs/s", false)],
        };

        var html = HtmlReport.Render(new LoadReport(summary, [result], null));

        Assert.Contains("<td class=\"unmet text\">no</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<td class=\"failed", html, StringComparison.Ordinal);
        // helper-112: "All thresholds passed" above a goal marked "no" read as a contradiction; the first line counts them.
        Assert.Contains("all thresholds passed</span>; goals met: 0 of 1 (reported, not asserted)</h1>", html, StringComparison.Ordinal);
        Assert.StartsWith("All thresholds passed; goals met: 0 of 1 (reported, not asserted). ",
            MarkdownReport.Render(new LoadReport(summary, [result], null)).Split('\n')[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_shows_clients_and_pipeline_as_whole_numbers()
    {
        var reference = new ReferenceSummary([new ReferenceResult("redis-benchmark LPUSH -P16", "LPUSH", 50, 16, 40_000, 1, 2)], []);

        var row = Assert.Single(ReportTables.Reference(SummaryOf() with { Reference = reference }).Rows);

        Assert.Equal(["50", "16"], row.Skip(2).Take(2));
    }

    [Fact]
    public void The_generators_cpu_leaves_out_seconds_without_a_sample()
    {
        // The seconds a scenario waits for stored work after its load have no CPU sample (NaN).
        var result = Result("e2e", 100, [1]) with { Timeline = [Second(1, 0.4), Second(2, 0.6), Second(3, double.NaN)] };

        Assert.Equal((0.5, 0.6), (Math.Round(result.GeneratorCores, 6), result.GeneratorCoresMax));
    }

    /// <summary>A review of a `--duration 200ms` run: every CPU sample under CpuSampler.ShortestSpan, and the table read 0 cores, 0 % busy.</summary>
    [Fact]
    public void A_phase_without_a_cpu_sample_shows_dashes_and_null_not_zero()
    {
        var result = Result("e2e", 100, [1]) with { Timeline = [Second(0.2, double.NaN) with { MachineBusy = double.NaN }] };
        var summary = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None));

        var row = Assert.Single(ReportTables.Cpu(summary).Rows);
        using var json = JsonDocument.Parse(summary.ToJson());

        Assert.Equal(["-", "-", "-", "-"], row.Skip(1).Take(4));
        var scenario = json.RootElement.GetProperty("scenarios")[0];
        Assert.Equal(JsonValueKind.Null, scenario.GetProperty("generatorCores").ValueKind);
        Assert.Equal(JsonValueKind.Null, scenario.GetProperty("generatorCoresMax").ValueKind);
        Assert.Equal(JsonValueKind.Null, scenario.GetProperty("machineBusy").ValueKind);
    }

    [Fact]
    public void The_cpu_per_item_table_divides_each_process_and_the_machine_by_the_rate()
    {
        var http = ScenarioSummary.From(Result("http", 100, [1]), ReferenceSummary.None) with
        {
            Unit = "tasks",
            Rps = 1_000,
            GeneratorCores = 0.1,
            MachineBusy = 0.5,
            ProcessCores = new Dictionary<string, double> { ["gateway"] = 0.2 },
        };
        var idle = ScenarioSummary.From(Result("idle", 0, [1]), ReferenceSummary.None) with { Rps = 0 };

        var table = ReportTables.CpuPerItem(SummaryOf(http, idle));

        Assert.Equal(["Scenario", "Item", "Machine", "Generator", "gateway"], table.Headers);
        Assert.Equal(["http", "task", "1,000", "100", "200"], Assert.Single(table.Rows));   // 0.5 of 2 cores is 1 core: 1,000 µs a task
    }

    /// <summary>The new-user walk: the thresholds table printed 197 columns wide, a long measured text on one line.</summary>
    [Fact]
    public void The_console_tables_fit_the_terminals_width()
    {
        var result = Result("queue-kill", 100, [1]) with
        {
            Checks = [new CheckResult("the killed worker's jobs delivered again", true, "570 put back after their lease expired, 395 of them ran again (the others were stored already and skipped)")],
        };

        var lines = ConsoleReport.Render(new LoadReport(SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None)), [result], null), 100).ToList();

        // The scenarios table's twelve columns of figures are wider than 100 however its prose wraps; the others fit.
        var thresholds = lines.SkipWhile(line => line != "Thresholds and checks").TakeWhile(line => line.Length > 0).ToList();
        Assert.All(thresholds, line => Assert.True(line.Length <= 100, $"{line.Length} > 100: {line}"));
        Assert.Contains(thresholds, line => line.Contains("570 put back", StringComparison.Ordinal));
    }

    [Fact]
    public void The_cpu_table_shows_how_late_an_open_generator_started_and_a_dash_for_a_closed_one()
    {
        var open = Result("e2e-at-rate", 100, [1]) with { GeneratorLag = Result("lag", 1, [0.5, 0.5, 12]).Latency };
        var closed = Result("e2e", 100, [1]);

        var table = ReportTables.Cpu(SummaryOf(ScenarioSummary.From(open, ReferenceSummary.None), ScenarioSummary.From(closed, ReferenceSummary.None)));

        var column = table.Headers.ToList().IndexOf("Generator late p99 ms");
        Assert.Equal(["12.0", "-"], table.Rows.Select(row => row[column]));
    }

    [Fact]
    public void The_cpu_table_shows_how_long_the_generators_collector_stopped_it_and_a_dash_when_not_measured()
    {
        var measured = Result("e2e-at-rate", 100, [1]) with { GeneratorPaused = TimeSpan.FromMilliseconds(25.9) };
        var unmeasured = Result("e2e", 100, [1]);

        var table = ReportTables.Cpu(SummaryOf(ScenarioSummary.From(measured, ReferenceSummary.None), ScenarioSummary.From(unmeasured, ReferenceSummary.None)));

        var column = table.Headers.ToList().IndexOf("Generator GC pauses ms");
        Assert.Equal(["25.9", "-"], table.Rows.Select(row => row[column]));
    }

    [Fact]
    public void A_chart_of_one_moment_starts_its_time_axis_at_zero_so_the_point_stands_off_the_y_axis()
    {
        // A phase shorter than a second (claim-ack in CI) has one timeline point.
        var svg = SvgChart.Line("Rate", "seconds", "jobs/s", [new Series("rate", "#000", [(0.705, 85_000)])]);

        Assert.Contains("text-anchor=\"middle\">0</text>", svg, StringComparison.Ordinal);   // an x tick at 0 s
        Assert.DoesNotContain("<circle cx=\"76\"", svg, StringComparison.Ordinal);            // 76 is the y axis
    }

    [Fact]
    public void Chart_ticks_are_labelled_to_their_steps_precision()
    {
        var seconds = SvgChart.Line("Rate", "seconds", "jobs/s", [new Series("rate", "#000", [(1, 0.1), (2, 0.3), (4, 0.4)])]);

        Assert.Contains(">2</text>", seconds, StringComparison.Ordinal);      // whole seconds, not "2.00"
        Assert.Contains(">0</text>", seconds, StringComparison.Ordinal);      // the axis starts at 0, not "0.00"
        Assert.Contains(">0.1</text>", seconds, StringComparison.Ordinal);    // a step of 0.1 keeps its decimal
        Assert.DoesNotContain(".00</text>", seconds, StringComparison.Ordinal);
    }

    [Fact]
    public void A_distribution_points_tooltip_names_its_percentile_not_the_stretched_axis()
    {
        var chart = SvgChart.Line("Latency distribution", "percentile", "ms", [new Series("latency", "#000", [(SvgChart.PercentileX(99), 12)])],
            SvgChart.PercentileTicks, SvgChart.PercentileText);

        Assert.Contains("<title>latency: 12.0 ms at p99</title>", chart, StringComparison.Ordinal);
    }

    private static TimelinePoint Second(double second, double generatorCores) =>
        new(second, 100, 0, 1, 2, 0, generatorCores, 0.5, new Dictionary<string, double>());

    private static int Occurrences(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void A_threshold_is_a_guide_line_on_the_chart_unless_it_would_squash_the_measured_lines()
    {
        List<Series> measured = [new("p99", "#000", [(1, 40), (2, 80), (3, 60)])];

        var guides = HtmlReport.Guides(measured, [("p99 < 100 ms", 100), ("p99 < 5000 ms", 5000)]).ToList();

        var guide = Assert.Single(guides);   // 5000 ms against at most 80 measured stays in the table only
        Assert.Equal("threshold: p99 < 100 ms", guide.Name);
        Assert.Equal([(1.0, 100.0), (3.0, 100.0)], guide.Points);
        Assert.True(guide.Dashed);
    }

    /// <summary>The walk's enqueue chart: 13,111 jobs/s at 3.01 s, then 3,438 "at 3.06": the load stopping, drawn as a collapse.</summary>
    [Fact]
    public void The_rate_chart_leaves_out_a_last_partial_second()
    {
        var stopped = Result("enqueue", 13_000, [1]) with
        {
            Duration = TimeSpan.FromSeconds(3.05),
            Timeline = [Rate(1.06, 12_000), Rate(2.01, 13_000), Rate(3.01, 13_111), Rate(3.06, 3_438)],
        };
        Assert.Equal([1.06, 2.01, 3.01], HtmlReport.RateTimeline(stopped).Select(p => p.Second));
        var html = HtmlReport.Render(new LoadReport(SummaryOf(ScenarioSummary.From(stopped, ReferenceSummary.None)), [stopped], null));
        Assert.Contains("achieved jobs/s: 13,111 jobs/s at 3.01", html, StringComparison.Ordinal);
        Assert.DoesNotContain("achieved jobs/s: 3,438 jobs/s", html, StringComparison.Ordinal);

        // Read from stored work: whole-second points, the last one after the last completion (3.2 s), so nothing to measure.
        var stored = stopped with { Duration = TimeSpan.FromSeconds(3.2), Timeline = [Rate(1, 900), Rate(2, 1_000), Rate(3, 1_050), Rate(4, 250)] };
        Assert.Equal([1.0, 2, 3], HtmlReport.RateTimeline(stored).Select(p => p.Second));

        // Half a second or more is a rate of its own (the runner gives it per second of the part that ran).
        var longer = stored with { Duration = TimeSpan.FromSeconds(3.6) };
        Assert.Equal([1.0, 2, 3, 4], HtmlReport.RateTimeline(longer).Select(p => p.Second));

        // With half-second points, a quarter second is half a point: it stays.
        var halves = stored with { Tick = TimeSpan.FromSeconds(0.5), Duration = TimeSpan.FromSeconds(1.25), Timeline = [Rate(0.5, 900), Rate(1, 1_000), Rate(1.5, 700)] };
        Assert.Equal([0.5, 1, 1.5], HtmlReport.RateTimeline(halves).Select(p => p.Second));
        Assert.Equal([0.5, 1], HtmlReport.RateTimeline(halves with { Duration = TimeSpan.FromSeconds(1.2) }).Select(p => p.Second));
    }

    private static TimelinePoint Rate(double second, double rate) =>
        new(second, rate, 0, 1, 2, 0, 0.1, 0.5, new Dictionary<string, double>());

    /// <summary>
    /// helper-61: queue-kill's seconds in which no job finished (the wait for the leases) were a straight line from the
    /// second before to the one after, and the chart kept the last partial second the rate chart leaves out.
    /// </summary>
    [Fact]
    public void The_latency_chart_breaks_its_lines_where_no_work_finished_and_shows_the_rate_charts_seconds()
    {
        TimelinePoint Latencies(double second, double rate, double p99) => Rate(second, rate) with { P50 = p99 / 2, P99 = p99 };
        var killed = Result("queue-kill", 1_000, [1]) with
        {
            Duration = TimeSpan.FromSeconds(4.05),
            Timeline = [Latencies(1, 1_000, 5), Latencies(2, 0, double.NaN), Latencies(3, 900, 7), Latencies(4, 950, 6), Latencies(4.06, 30, 90)],
        };

        var chart = HtmlReport.LatencyChart(killed);

        Assert.Equal(2, Occurrences(chart, " M"));   // p50's and p99's lines each start again after second 2
        Assert.Contains("p99: 7.00 ms at 3", chart, StringComparison.Ordinal);
        Assert.DoesNotContain("p99: 90", chart, StringComparison.Ordinal);
    }

    /// <summary>A phase of one second has one point in its timeline: drawn only on hover, its charts looked empty.</summary>
    [Fact]
    public void A_point_with_no_line_to_a_neighbour_is_drawn_and_the_others_show_on_hover()
    {
        var chart = SvgChart.Line("Latency over time", "seconds", "ms", [new Series("p99", "#000", [(1, 5), (2, double.NaN), (3, 6), (4, 7)])]);

        Assert.Contains("r=\"3\" fill=\"#000\"><title>p99: 5.00 ms at 1.00</title>", chart, StringComparison.Ordinal);
        Assert.Contains("class=\"point\"><title>p99: 6.00 ms at 3.00</title>", chart, StringComparison.Ordinal);
        Assert.Contains("class=\"point\"><title>p99: 7.00 ms at 4.00</title>", chart, StringComparison.Ordinal);
    }

    /// <summary>helper-78: in queue-kill's last second one job finished, and p50's point hid p99's at the same place.</summary>
    [Fact]
    public void A_lone_point_under_another_series_is_drawn_larger_so_that_both_show()
    {
        var chart = SvgChart.Line("Latency over time", "seconds", "ms",
            [new Series("p50", "#111", [(1, 2), (2, 3), (3, double.NaN), (4, 9)]), new Series("p99", "#999", [(1, 5), (2, 6), (3, double.NaN), (4, 9)])]);

        Assert.Contains("r=\"4.5\" fill=\"#999\"><title>p99: 9.00 ms at 4.00</title>", chart, StringComparison.Ordinal);
        Assert.Contains("r=\"3\" fill=\"#111\"><title>p50: 9.00 ms at 4.00</title>", chart, StringComparison.Ordinal);
        Assert.True(chart.IndexOf("p99: 9.00", StringComparison.Ordinal) < chart.IndexOf("p50: 9.00", StringComparison.Ordinal), "p99 is drawn first, under p50");
        Assert.Contains("r=\"3\" fill=\"#999\" class=\"point\"><title>p99: 5.00 ms", chart, StringComparison.Ordinal);   // points on a line keep their size
    }

    /// <summary>helper-139: with a threshold's line, a chart's legend ran over its title.</summary>
    [Fact]
    public void A_legend_that_would_run_into_the_title_moves_to_a_row_below_it_in_order_and_the_plot_moves_down()
    {
        Series[] series =
        [
            new("achieved tasks/s", "#111", [(1, 2), (2, 3)]),
            new("target/s", "#222", [(1, 5), (2, 5)], Dashed: true),
            new("threshold: rate >= 5/s", "#c92a2a", [(1, 5), (2, 5)], Dashed: true),
        ];

        // Together 452 wide, from x 172: past the title's end (76 + 14 * 10 + 16 = 232), so all go on a row below, in order.
        var places = SvgChart.LegendPlaces("Rate over time", series);
        Assert.Equal([(76, 1), (232, 1), (324, 1)], places);
        Assert.Equal([(376, 0), (532, 0)], SvgChart.LegendPlaces("Rate over time", series[..2]));   // right-aligned beside the title, as before

        var chart = SvgChart.Line("Rate over time", "seconds", "tasks/s", series);
        Assert.Contains("y=\"33\">achieved tasks/s</text>", chart, StringComparison.Ordinal);   // the second row's baseline
        Assert.Contains("y1=\"46\" y2=\"216\" class=\"grid\"", chart, StringComparison.Ordinal);   // the plot starts a row lower
        Assert.Contains("y1=\"28\" y2=\"216\" class=\"grid\"", SvgChart.Line("Rate over time", "seconds", "tasks/s", series[..2]), StringComparison.Ordinal);
    }

    /// <summary>helper-145: on a chart up to 200,000 the rotated "jobs/s" was drawn over the "100,000" tick.</summary>
    [Fact]
    public void The_plot_moves_right_for_wide_tick_labels_so_that_they_clear_the_axis_label()
    {
        var narrow = SvgChart.Line("Rate over time", "seconds", "jobs/s", [new Series("rate", "#000", [(1, 4_000), (2, 5_000)])]);
        var wide = SvgChart.Line("Rate over time", "seconds", "jobs/s", [new Series("rate", "#000", [(1, 150_000), (2, 190_000)])]);

        Assert.Contains("<line x1=\"76\" x2=\"624\"", narrow, StringComparison.Ordinal);   // "5,000": the usual margin
        Assert.Contains("<line x1=\"86\" x2=\"624\"", wide, StringComparison.Ordinal);     // "200,000": 22 + 6 + 52 + 6
        Assert.Contains("<text x=\"80\" y=", wide, StringComparison.Ordinal);                // its labels end 6 left of the plot
    }

    /// <summary>helper-65: queue-kill's first seconds without a finished job were left off the latency chart's axis.</summary>
    [Fact]
    public void A_charts_axis_spans_the_seconds_where_nothing_was_measured()
    {
        var chart = SvgChart.Line("Latency over time", "seconds", "ms", [new Series("p99", "#000", [(0, double.NaN), (1, 5), (2, 6)])]);

        Assert.Contains("<circle cx=\"350\"", chart, StringComparison.Ordinal);   // x = 1 halfway along 0 to 2, not at the axis
    }

    [Fact]
    public void A_chart_line_is_broken_at_a_point_that_is_not_a_number()
    {
        Assert.Equal("M0,1 L1,2 M3,4", SvgChart.Path([(0, 1), (1, 2), (2, double.NaN), (3, 4)], x => x, y => y));
        Assert.Equal("M3,4", SvgChart.Path([(0, double.NaN), (3, 4), (4, double.PositiveInfinity)], x => x, y => y));
    }

    /// <summary>helper-61: the reference's conditions and the baseline's counts were whole sentences in a heading.</summary>
    [Fact]
    public void A_tables_note_goes_under_its_short_heading_and_its_columns_of_words_are_aligned_left()
    {
        var reference = new ReferenceSummary([new ReferenceResult("redis-benchmark LPUSH -P1", "LPUSH", 50, 1, 40_000, 1, 2)], [], "redis-benchmark sent 40,000 requests a -P1 row.");
        var result = Result("enqueue", 30_000, [1, 2, 3]);
        var report = new LoadReport(SummaryOf(ScenarioSummary.From(result, reference)) with { Reference = reference }, [result], null);

        var html = HtmlReport.Render(report);
        Assert.Contains("<h2>Reference, same run</h2><p class=\"note\">redis-benchmark sent 40,000 requests a -P1 row.</p>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"text\">redis-benchmark LPUSH -P1</td><td class=\"text\">LPUSH</td><td>50</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"passed text\">passed</td></tr>", html, StringComparison.Ordinal);   // the scenarios' last column, words too
        var markdown = MarkdownReport.Render(report);
        Assert.Contains("## Reference, same run\n\nredis-benchmark sent 40,000 requests a -P1 row.\n\n| Reference | Command |", markdown, StringComparison.Ordinal);
        Assert.Contains("| :--- | :--- | ---: | ---: | ---: | ---: | ---: |", markdown, StringComparison.Ordinal);
        var console = ConsoleReport.Render(report, TextTable.DefaultWidth).ToList();
        Assert.Equal("redis-benchmark sent 40,000 requests a -P1 row.", console[console.IndexOf("Reference, same run") + 1]);
    }

    [Fact]
    public void The_html_reports_charts_draw_a_scenarios_thresholds()
    {
        var result = Result("e2e", 1000, [5, 6, 7]) with
        {
            Timeline = [new TimelinePoint(1, 1000, 0, 5, 7, 0, 0.1, 0.5, new Dictionary<string, double>())],
            Thresholds = [Threshold.LatencyBelow(99, 10), Threshold.RateAtLeast(800)],
        };

        var html = HtmlReport.Render(new LoadReport(SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None)), [result], null));

        Assert.Contains("threshold: p99 &lt; 10 ms", html, StringComparison.Ordinal);
        Assert.Contains("threshold: rate &gt;= 800/s", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reported_figure_reads_reported_not_passed_and_fails_nothing()
    {
        var result = Result("http", 500, [5]) with
        {
            Checks = [new CheckResult("every task stored", true, "10 of 10"), CheckResult.Report("submitted to succeeded", "p99 9 ms")],
        };
        var summary = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None));

        Assert.True(result.Passed);
        Assert.Equal(["passed", "reported"], ReportTables.Thresholds(summary).Rows.Select(row => row[3]));
        Assert.Contains("<td class=\"text\">reported</td>", HtmlReport.Render(new LoadReport(summary, [result], null)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.004, "0.004")]   // 40 tasks/s against wrk's 10,000/s: not "0.00 ×"
    [InlineData(0.5, "0.50")]
    [InlineData(6.93, "6.93")]
    [InlineData(12.34, "12.3")]
    [InlineData(8083, "8,083")]
    public void A_figure_below_one_keeps_its_thousandths(double value, string shown) => Assert.Equal(shown, Figures.Format(value));

    [Fact]
    public void A_scenario_with_a_step_line_says_what_the_step_and_the_latency_are_and_one_without_does_not()
    {
        // helper-61: the dashed line, above the latency in a closed phase and below it in an open one, was unexplained.
        var closed = Result("queue-e2e", 30_000, [40, 50]);
        var withStep = closed with { CallLatency = closed.Latency };
        var enqueue = Result("enqueue", 30_000, [1]);

        var html = HtmlReport.Render(new LoadReport(SummaryOf(ScenarioSummary.From(withStep, ReferenceSummary.None)), [withStep, enqueue], null));

        Assert.Equal(1, Occurrences(html, System.Net.WebUtility.HtmlEncode(HtmlReport.StepNote)));
        Assert.Contains("an open phase's step is its call alone", HtmlReport.StepNote, StringComparison.Ordinal);
    }
}
