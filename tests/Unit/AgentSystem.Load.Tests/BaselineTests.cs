using AgentSystem.Build.Engine;
using AgentSystem.Load.References;
using AgentSystem.Load.Reports;
using static AgentSystem.Load.Tests.Fixtures;

namespace AgentSystem.Load.Tests;

/// <summary>The comparison with an earlier summary.json (--baseline) and its declared tolerance.</summary>
public sealed class BaselineTests
{
    [Fact]
    public void A_baseline_shows_each_metrics_change_and_whether_it_is_better()
    {
        var before = SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None));
        var after = SummaryOf(ScenarioSummary.From(Result("e2e", 1500, [10]), ReferenceSummary.None), ScenarioSummary.From(Result("http", 10, [1]), ReferenceSummary.None));

        var changes = Baseline.Compare(before, after, tolerance: 0.1);

        var rps = Assert.Single(changes, c => c is { Subject: "e2e", Metric: "rps" });
        Assert.Equal(("+50.0 %", (bool?)true), (rps.ChangeText, rps.Better));
        var p50 = Assert.Single(changes, c => c is { Subject: "e2e", Metric: "p50 ms" });
        Assert.Equal(("+100.0 %", (bool?)false), (p50.ChangeText, p50.Better));
        Assert.Equal("new", Assert.Single(changes, c => c is { Subject: "http", Metric: "rps" }).ChangeText);
        var errors = Assert.Single(ReportTables.Baseline(new("old.json", 0.1, changes)).Rows, r => r[0] == "e2e" && r[1] == "errors (calls)");
        Assert.Equal(["0", "0"], errors.Skip(2).Take(2));   // a count, not "0.00"
    }

    [Theory]
    [InlineData(1000.0, 1100.0, 0.1, "within tolerance")]   // +10 %: at the tolerance, no verdict
    [InlineData(1000.0, 1101.0, 0.1, "better")]
    [InlineData(1000.0, 700.0, 0.25, "worse")]
    [InlineData(1000.0, 800.0, 0.25, "within tolerance")]
    [InlineData(1000.0, 1000.0, 0.1, "unchanged")]
    [InlineData(1000.0, 1005.0, 0.0, "better")]               // a tolerance of 0 calls every change
    public void A_change_within_the_tolerance_is_no_verdict(double before, double after, double tolerance, string verdict)
    {
        var change = new MetricChange("enqueue", "rps", before, after, HigherIsBetter: true, tolerance);

        Assert.Equal(verdict, change.Verdict);
        Assert.Equal(verdict switch { "better" => true, "worse" => false, _ => (bool?)null }, change.Better);
    }

    [Fact]
    public void A_change_groups_its_thousands_as_the_figures_beside_it_do()
    {
        var change = new MetricChange("queue-kill", "p99 ms", 407, 6320, HigherIsBetter: false, Tolerance: 0.1);

        Assert.Equal("+1,452.8 %", change.ChangeText);
    }

    [Fact]
    public void Errors_appearing_against_a_baseline_without_any_are_worse_whatever_the_tolerance()
    {
        var errors = new MetricChange("e2e", "errors", 0, 1, HigherIsBetter: false, Tolerance: 10);

        var none = new MetricChange("e2e", "errors", 0, 0, HigherIsBetter: false, Tolerance: 10);

        Assert.Equal(("from 0", (bool?)false, "worse"), (errors.ChangeText, errors.Better, errors.Verdict));
        Assert.Equal(("-", (bool?)null, "unchanged"), (none.ChangeText, none.Better, none.Verdict));
    }

    [Fact]
    public void Every_report_that_shows_the_verdicts_states_the_tolerance()
    {
        var result = Result("e2e", 1050, [5]);
        var summary = SummaryOf(ScenarioSummary.From(result, ReferenceSummary.None));
        var changes = Baseline.Compare(SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None)), summary, tolerance: 0.15);
        var report = new LoadReport(summary, [result], new BaselineComparison("old.json", 0.15, changes));
        const string Stated = "within ±15 %";

        Assert.Contains(ConsoleReport.Render(report, TextTable.DefaultWidth), line => line.Contains(Stated, StringComparison.Ordinal));
        Assert.Contains(Stated, MarkdownReport.Render(report), StringComparison.Ordinal);
        var html = HtmlReport.Render(report);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(Stated), html, StringComparison.Ordinal);
        // Right below the scenarios' table, before their charts, as in the console and report.md (helper-61).
        Assert.True(html.IndexOf("Against the baseline", StringComparison.Ordinal) < html.IndexOf("<h2 id=\"e2e\"", StringComparison.Ordinal));
        Assert.Equal("within tolerance", Assert.Single(ReportTables.Baseline(report.Baseline!).Rows, r => r[1] == "rps")[5]);   // +5 %
        Assert.Equal("Against the baseline old.json", ReportTables.Baseline(report.Baseline!).Title);
        // helper-104: previous/summary.json is replaced by later runs, so the heading also says which run it was.
        Assert.Equal("Against the baseline previous/summary.json (the run of 2026-12-06 11:37:24Z)", ReportTables.Baseline(
            new BaselineComparison("previous/summary.json", 0.1, [], RunAt: new DateTimeOffset(2026, 12, 6, 12, 37, 24, TimeSpan.FromHours(1)))).Title);
        Assert.StartsWith("0 better, 0 worse, ", ReportTables.Baseline(report.Baseline!).Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_the_baseline_has_and_this_run_left_out_is_named_once_not_listed_as_gone()
    {
        // helper-57: --scenarios enqueue,http against a whole run's summary listed 22 rows as gone.
        var before = SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None), ScenarioSummary.From(Result("http", 500, [5]), ReferenceSummary.None));
        var after = SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None));
        var changes = Baseline.Compare(before, after, tolerance: 0.1);

        var note = ReportTables.Baseline(new BaselineComparison("old.json", 0.1, changes, Baseline.NotRun(before, after))).Note;

        Assert.All(changes, c => Assert.Equal("e2e", c.Subject));
        Assert.Contains($"0 better, 0 worse, {changes.Count} within ±10 %, 0 in one run only", note, StringComparison.Ordinal);
        Assert.EndsWith("; not run this time, left out: http (to run those phases again: --scenarios http).", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_only_the_baseline_has_reaches_the_reports_without_its_control_characters()
    {
        // helper-130: a summary.json is a file anyone can write (a CI artifact of a pull request); its names were printed
        // to the terminal as they were, escape sequences and all.
        var before = SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None), ScenarioSummary.From(Result("old\u001b]0;owned\u0007\u001b[2J", 500, [5]), ReferenceSummary.None));
        var after = SummaryOf(ScenarioSummary.From(Result("e2e", 1000, [5]), ReferenceSummary.None));
        var report = new LoadReport(after, [], new BaselineComparison("old.json", 0.1, Baseline.Compare(before, after, 0.1), Baseline.NotRun(before, after)));

        Assert.Equal(["old\\u001b]0;owned\\u0007\\u001b[2J"], Baseline.NotRun(before, after));
        Assert.DoesNotContain(ConsoleReport.Render(report, TextTable.DefaultWidth), line => line.Any(char.IsControl));
        Assert.DoesNotContain('\u001b', MarkdownReport.Render(report));
    }

    [Fact]
    public void The_phases_left_out_are_named_with_the_scenarios_that_measure_them()
    {
        // helper-60: queue-kill and the open phases are not names --scenarios takes.
        Assert.Equal(
            [LoadArguments.ClaimAck, LoadArguments.EndToEnd],
            Baseline.ScenariosOf(["queue-e2e-at-rate", "queue-kill", "claim-ack", "redis-benchmark enqueue script -P1"]));
        Assert.Empty(Baseline.ScenariosOf(["wrk /healthz -c64"]));
    }

    [Fact]
    public void The_yardsticks_are_the_reference_rows_the_runs_scenarios_were_measured_against_by_their_names_in_the_reference_table()
    {
        var reference = new ReferenceSummary(
            [new ReferenceResult(RedisBenchmark.EnqueueName(1), "EVALSHA", 50, 1, 40_000, 1, 2), new ReferenceResult(RedisBenchmark.ClaimName(1), "EVALSHA", 50, 1, 40_000, 1, 2)],
            [new ReferenceResult("wrk /healthz -c64", "GET", 64, 1, 20_000, 1, 2)]);
        var enqueue = ScenarioSummary.From(Result("enqueue", 30_000, [1], reference: RedisBenchmark.EnqueueName(1)), reference);
        var open = ScenarioSummary.From(Result("http-at-rate", 100, [5]), reference);

        var yardsticks = Baseline.Yardsticks(SummaryOf(enqueue, open) with { Reference = reference });

        Assert.Equal([RedisBenchmark.EnqueueName(1)], yardsticks);
        Assert.NotNull(reference.Find(Assert.Single(yardsticks)));   // a name the table has: the caution can read the row
    }

    [Fact]
    public void Against_a_baseline_an_open_phase_at_another_target_compares_the_share_of_its_target_and_a_closed_one_its_share_of_the_reference()
    {
        var reference = new ReferenceSummary(
            [new ReferenceResult("redis-benchmark enqueue script -P1", "EVALSHA", 50, 1, 40_000, 1, 2)], [new ReferenceResult("wrk /healthz -c16", "GET", 16, 1, 20_000, 1, 2)]);
        ScenarioSummary Open(double rate, double target) => ScenarioSummary.From(Result("http-at-rate", rate, [5], reference: "wrk /healthz -c16") with { TargetRate = target }, reference);
        ScenarioSummary Enqueue(double rate) => ScenarioSummary.From(Result("enqueue", rate, [1], reference: "redis-benchmark enqueue script -P1"), reference);

        var changes = Baseline.Compare(SummaryOf(Open(38, 38), Enqueue(20_000)), SummaryOf(Open(100, 106), Enqueue(30_000)), tolerance: 0.01);

        Assert.DoesNotContain(changes, c => c is { Subject: "http-at-rate", Metric: "rps" });
        var share = Assert.Single(changes, c => c is { Subject: "http-at-rate", Metric: "rps ÷ target" });
        Assert.Equal(1.0, share.Before!.Value, 6);
        Assert.Equal(100.0 / 106, share.After!.Value, 6);
        Assert.False(share.Better);
        Assert.DoesNotContain(changes, c => c is { Subject: "http-at-rate", Metric: "÷ reference" });   // it follows the target
        var ratio = Assert.Single(changes, c => c is { Subject: "enqueue", Metric: "÷ reference" });
        Assert.Equal(("+50.0 %", (bool?)true), (ratio.ChangeText, ratio.Better));
    }

    [Fact]
    public void A_closed_phase_measured_against_another_yardstick_than_the_baselines_is_not_compared_on_its_fraction_of_it()
    {
        var one = new ReferenceResult(RedisBenchmark.EnqueueName(16), "EVALSHA", 50, 16, 60_000, 1, 2);
        var many = new ReferenceResult(RedisBenchmark.EnqueueManyName(100, 16), "EVALSHA", 50, 16, 1_000, 1, 2, JobsPerCall: 100);
        var before = SummaryOf(ScenarioSummary.From(Result("queue-e2e", 30_000, [5], reference: one.Name), new ReferenceSummary([one], [])));
        var after = SummaryOf(ScenarioSummary.From(Result("queue-e2e", 30_000, [5], reference: many.Name), new ReferenceSummary([many], [])));

        var changes = Baseline.Compare(before, after, tolerance: 0.1);

        Assert.DoesNotContain(changes, c => c is { Subject: "queue-e2e", Metric: "÷ reference" });   // 0.5 against 0.3: the yardstick moved
        Assert.Single(changes, c => c is { Subject: "queue-e2e", Metric: "rps" });
    }

    [Fact]
    public void The_sigkill_check_compares_its_errors_only_and_reference_rows_show_the_machine_without_a_verdict()
    {
        // helper-61: queue-kill's rate and p99 include a fixed wait for leases, and redis-benchmark's own rates moved with
        // the machine: they were called better and worse.
        ReferenceSummary Reference(double rps) => new([new ReferenceResult("redis-benchmark LPUSH -P16", "LPUSH", 50, 16, rps, 1, 2)], []);
        Summary Run(double killRate, double referenceRps) => SummaryOf(ScenarioSummary.From(Result("queue-kill", killRate, [5_000]), Reference(referenceRps))) with { Reference = Reference(referenceRps) };

        var changes = Baseline.Compare(Run(100, 80_000), Run(300, 50_000), tolerance: 0.1);
        var note = ReportTables.Baseline(new("old.json", 0.1, changes)).Note;

        Assert.Equal(["errors (calls)"], changes.Where(c => c.Subject == "queue-kill").Select(c => c.Metric));
        var reference = Assert.Single(changes, c => c.Subject == "redis-benchmark LPUSH -P16");
        Assert.Equal(((bool?)null, "the machine"), (reference.Better, reference.Verdict));
        Assert.Contains("0 better, 0 worse, 1 within ±10 %, 0 in one run only", note, StringComparison.Ordinal);
        Assert.Contains("1 reference rows show how the machine moved (no verdict)", note, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_whose_phases_lasted_different_lengths_are_compared_with_a_caution()
    {
        Summary Run(double seconds) => SummaryOf(ScenarioSummary.From(Result("queue-e2e", 1000, [5]) with { Duration = TimeSpan.FromSeconds(seconds) }, ReferenceSummary.None));

        Assert.Null(Baseline.LengthCaution(Run(3), Run(3.4)));
        var caution = Baseline.LengthCaution(Run(3), Run(10));

        Assert.Equal("the phases ran for different lengths (queue-e2e: 3 s in the baseline, 10 s now), and a phase's rate and tail move with its length: compare runs of one --duration", caution);
        Assert.StartsWith($"Caution: {caution}. 0 better", ReportTables.Baseline(new("old.json", 0.1, [], Caution: caution)).Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_rows_that_moved_together_beyond_the_tolerance_give_a_caution_about_the_machine()
    {
        MetricChange Row(string name, double before, double after) => new(name, "rps", before, after, HigherIsBetter: true, 0.1, Context: true);
        MetricChange Scenario(double before, double after) => new("queue-e2e", "rps", before, after, HigherIsBetter: true, 0.1);

        HashSet<string> all = ["LPUSH", "enqueue -P1", "claim -P16"];

        // helper-91's second run: every redis-benchmark row fell 19 to 73 %, and the scenarios' rates with them.
        var busier = Baseline.MachineCaution([Scenario(17_488, 9_628), Row("LPUSH", 100_000, 81_000), Row("enqueue -P1", 40_000, 10_800), Row("claim -P16", 50_000, 30_000)], 0.1, all);
        Assert.Equal("the machine was busier than in the baseline: the reference rows this run's scenarios are measured against moved -73 to -19 %,"
            + " so their rates compare best on the ÷ reference rows, which take the machine out", busier);

        Assert.Null(Baseline.MachineCaution([Row("LPUSH", 100_000, 95_000), Row("enqueue -P1", 40_000, 42_000)], 0.1, all));   // within tolerance
        Assert.Null(Baseline.MachineCaution([Row("LPUSH", 100_000, 60_000), Row("enqueue -P1", 40_000, 60_000)], 0.1, all));   // no one way
        Assert.Null(Baseline.MachineCaution([Scenario(17_488, 9_628)], 0.1, all));   // no reference rows
        Assert.StartsWith("the machine was quieter", Baseline.MachineCaution([Row("LPUSH", 100_000, 150_000)], 0.1, all), StringComparison.Ordinal);

        // helper-129: one row, just beyond the tolerance, read "moved -10 to -10 %".
        Assert.StartsWith("the machine was busier than in the baseline: the reference row this run's scenarios are measured against moved -10.1 %, so",
            Baseline.MachineCaution([Row("enqueue -P1", 20_725, 18_639)], 0.1, all), StringComparison.Ordinal);

        // helper-120: a queue-e2e run's -P1 rows (beside no scenario of it) rose 87 % while its own -P16 row held.
        Assert.Null(Baseline.MachineCaution([Row("enqueue -P1", 40_000, 74_800), Row("claim -P1", 40_000, 70_000), Row("enqueue -P16", 200_000, 204_000)], 0.1,
            new HashSet<string> { "enqueue -P16" }));
    }

    /// <summary>An interrupted run left its service logs beside the earlier run's reports, which passed for its own.</summary>
    [Fact]
    public void A_run_sets_the_whole_run_before_aside_and_an_interrupted_ones_logs_apart()
    {
        var output = Directory.CreateTempSubdirectory("load-previous-").FullName;
        try
        {
            // Run 1, whole, in a folder without previous/; then run 2 starts.
            Write(output, LoadReport.SummaryFile, "run 1");
            Write(output, LoadReport.MarkdownFile, "run 1");
            Write(output, "service-logs/gateway.log", "run 1");
            Write(output, "notes.txt", "the user's");
            var (previous, _) = PreviousRun.SetAside(output);
            Assert.Equal(Path.Combine(output, LoadArguments.PreviousFolder), previous);

            // Run 2 was interrupted: logs only. Run 3 starts: run 2's logs go to interrupted/, previous/ stays run 1.
            Write(output, "service-logs/worker-1.log", "run 2");
            var written = File.GetLastWriteTimeUtc(Path.Combine(output, "service-logs/worker-1.log"));
            var (none, leftLogs) = PreviousRun.SetAside(output);
            Assert.Null(none);
            Assert.Equal((1, written), leftLogs);
            Assert.Empty(Directory.GetFiles(Path.Combine(output, "service-logs")));
            Assert.Equal("run 1", File.ReadAllText(Path.Combine(previous!, LoadReport.SummaryFile)));
            var interrupted = Path.Combine(output, LoadArguments.InterruptedFolder, "service-logs");
            Assert.Equal("run 2", File.ReadAllText(Path.Combine(interrupted, "worker-1.log")));

            // Run 3 finished; run 4 starts: previous/ is run 3 alone, nothing of run 1 left beside it.
            Write(output, LoadReport.SummaryFile, "run 3");
            Write(output, LoadReport.HtmlFile, "run 3");
            Write(output, "service-logs/worker-1.log", "run 3");
            Assert.Equal(previous, PreviousRun.SetAside(output).Previous);

            Assert.Equal([LoadReport.HtmlFile, "service-logs", LoadReport.SummaryFile],
                Directory.GetFileSystemEntries(previous!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal("run 3", File.ReadAllText(Path.Combine(previous!, LoadReport.SummaryFile)));
            Assert.Equal(["worker-1.log"], Directory.GetFiles(Path.Combine(previous!, "service-logs")).Select(Path.GetFileName));
            Assert.Equal([LoadArguments.InterruptedFolder, "notes.txt", LoadArguments.PreviousFolder, "service-logs"],
                Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            // Run 4 failed to start (logs only, another of them); run 5 starts: interrupted/ is run 4's alone.
            Write(output, "service-logs/orchestrator.log", "run 4");
            Assert.Equal(1, PreviousRun.SetAside(output).Interrupted?.Logs);
            Assert.Equal(["orchestrator.log"], Directory.GetFiles(interrupted).Select(Path.GetFileName));
            Assert.Equal("run 3", File.ReadAllText(Path.Combine(previous!, LoadReport.SummaryFile)));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>helper-103: previous/summary.json was read before the set-aside (the run before last) and named after it.</summary>
    [Fact]
    public void A_baseline_in_the_output_folder_means_the_run_before_and_is_read_as_such()
    {
        var output = Directory.CreateTempSubdirectory("load-baseline-").FullName;
        try
        {
            var summary = Path.Combine(output, LoadReport.SummaryFile);
            var previous = Path.Combine(output, LoadArguments.PreviousFolder, LoadReport.SummaryFile);
            Write(output, LoadReport.SummaryFile, "run before");
            Write(output, Path.Combine(LoadArguments.PreviousFolder, LoadReport.SummaryFile), "run before last");

            Assert.Equal((summary, previous), LoadArguments.BaselineFile(Path.Combine(output, ".", LoadReport.SummaryFile), output));
            Assert.Equal((summary, previous), LoadArguments.BaselineFile(previous, output));
            Assert.Equal(("/elsewhere/earlier.json", "/elsewhere/earlier.json"), LoadArguments.BaselineFile("/elsewhere/earlier.json", output));

            // The run before was interrupted (no summary): previous/ is not replaced, and is read as it is; summary.json means
            // the last whole run too (helper-104: it was "no such file").
            File.Delete(summary);
            Assert.Equal((previous, previous), LoadArguments.BaselineFile(previous, output));
            Assert.Equal((previous, previous), LoadArguments.BaselineFile(summary, output));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static void Write(string folder, string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, path))!);
        File.WriteAllText(Path.Combine(folder, path), text);
    }
}
