using System.Globalization;
using System.Text.RegularExpressions;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>The runner on an in-process step: the warm-up is not counted, the open model injects exactly its schedule.</summary>
public sealed class ScenarioRunnerTests
{
    private readonly ScenarioRunner _runner = new(new CpuSampler(), _ => { });

    [Fact]
    public async Task The_open_model_runs_exactly_the_scheduled_invocations_and_reports_the_target_rate()
    {
        var calls = 0;
        var scenario = new Scenario("inject", _ =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(Response.Ok());
        })
        {
            WarmUp = TimeSpan.FromMilliseconds(500),
            Simulations = [Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
            Thresholds = [Threshold.ErrorRateBelow(0.01)],
        };

        var result = await _runner.RunAsync(scenario, CancellationToken.None);

        Assert.Equal(100, result.Ok);
        Assert.Equal(150, calls);   // 50 more in the warm-up, not measured
        Assert.Equal(100, result.TargetRate);
        Assert.Equal(100, result.Latency.Count);
        Assert.Equal(100, result.GeneratorLag?.Count);   // one lag per measured invocation, none from the warm-up
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task A_phase_twice_as_long_as_the_progress_interval_or_counted_in_iterations_logs_its_progress_and_a_shorter_one_does_not()
    {
        var logged = new List<string>();
        var runner = new ScenarioRunner(new CpuSampler(), line => { lock (logged) { logged.Add(line); } }) { ProgressEvery = TimeSpan.FromSeconds(0.5) };
        Scenario Failing(string name, double seconds) => new(name, context => ValueTask.FromResult(context.Invocation % 10 == 0 ? Response.Fail("every tenth") : Response.Ok()))
        {
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(seconds))],
        };

        // Lines at about 0.5, 1, 1.5 ... s; a CI run with other suites beside it saw only two in 2.6 s (late ticks).
        await runner.RunAsync(Failing("long", 3.6), CancellationToken.None);
        await runner.RunAsync(Failing("short", 0.9), CancellationToken.None);

        var closed = new Scenario("closed", async _ => { await Task.Delay(5); return Response.Ok(); })
        {
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.KeepConstant(3, TimeSpan.FromSeconds(2.4))],   // 1.2 s once had no tick in time for a line
        };
        var counted = new Scenario("counted", async _ => { await Task.Delay(10); return Response.Ok(); })
        {
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.IterationsForConstant(1, 240)],   // at least 2.4 s, no length ahead
        };
        await runner.RunAsync(closed, CancellationToken.None);
        await runner.RunAsync(counted, CancellationToken.None);

        Assert.Contains(logged, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^closed: [012]\.\d of 2 s: [\d,.]+ calls/s \(3 copies\), "));
        Assert.Contains(logged, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^counted: \d+\.\d s: [\d,.]+ calls/s \(1 copy\), "));
        var progress = logged.Where(l => l.StartsWith("long:", StringComparison.Ordinal) || l.StartsWith("short:", StringComparison.Ordinal))
            .Where(l => l.Contains(" s: ", StringComparison.Ordinal)).ToList();
        Assert.True(progress.Count >= 2, string.Join('\n', logged));
        Assert.All(progress, line => Assert.Matches(@"^long: [0-3]\.\d of 4 s: [\d,.]+ calls/s \(target 200/s\), steps' p99 ([\d.]+ ms|-), \d+ errors, in the last [\d.]+ s$", line));
        Assert.Contains(progress, line => !line.Contains(" 0 errors", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_ramps_progress_line_shows_the_rate_its_seconds_made_beside_the_target_of_those_seconds()
    {
        var logged = new List<string>();
        var runner = new ScenarioRunner(new CpuSampler(), line => { lock (logged) { logged.Add(line); } }) { ProgressEvery = TimeSpan.FromSeconds(1) };
        var ramp = new Scenario("ramp", _ => ValueTask.FromResult(Response.Ok()))
        {
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.RampingInject(600, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3))],
        };

        await runner.RunAsync(ramp, CancellationToken.None);

        // Lines at about 1 and 2 s, each over its last second: about 100 and 300 calls/s. The target at each line's
        // end (200 and 400/s) is a second's ramp ahead of what was asked of those seconds.
        var lines = logged.Select(line => Regex.Match(line, @"^ramp: [12]\.\d of 3 s: ([\d,]+) calls/s \(target ([\d,]+)/s\)")).Where(m => m.Success).ToList();
        Assert.True(lines.Count >= 1, string.Join('\n', logged));
        Assert.All(lines, line =>
        {
            var (rate, target) = (Number(line.Groups[1].Value), Number(line.Groups[2].Value));
            Assert.True(Math.Abs(rate - target) <= (0.25 * target) + 15, line.Value);   // the target at the line's end was 100/s more
        });
    }

    private static double Number(string figure) => double.Parse(figure, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public void A_progress_line_without_steps_in_its_interval_shows_no_latency()
    {
        var line = ScenarioRunner.Progress(new Scenario("http", _ => ValueTask.FromResult(Response.Ok())) { Unit = "tasks" },
            TimeSpan.FromSeconds(20.4), TimeSpan.FromSeconds(60), new(0, 0, 0, 3, TimeSpan.FromSeconds(10)), target: null, copies: 64);

        Assert.Equal("http: 20.4 of 60 s: 0 tasks/s (64 copies), steps' p99 -, 3 errors, in the last 10.0 s", line);
    }

    [Fact]
    public void A_late_ticks_line_counts_its_seconds_as_its_span_is_rounded()
    {
        var line = ScenarioRunner.Progress(new Scenario("queue-e2e-at-rate", _ => ValueTask.FromResult(Response.Ok())) { Unit = "jobs" },
            TimeSpan.FromSeconds(10.96), TimeSpan.FromSeconds(20), new(1000, 2, 100, 0, TimeSpan.FromSeconds(10.96), 1000), target: 1000, copies: null);

        Assert.StartsWith("queue-e2e-at-rate: 11.0 of 20 s: ", line, StringComparison.Ordinal);
        Assert.EndsWith("in the last 11.0 s", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collection_in_a_measured_step_shows_as_the_generators_pause()
    {
        var scenario = new Scenario("collects", context =>
        {
            if (context.Invocation == 5)
            {
                // A blocking full collection stops every thread of the generator, as its own collections under load do.
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            }

            return ValueTask.FromResult(Response.Ok());
        })
        {
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.Inject(20, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
        };

        var result = await _runner.RunAsync(scenario, CancellationToken.None);

        Assert.True(result.GeneratorPaused > TimeSpan.Zero, $"paused {result.GeneratorPaused}");
    }

    [Fact]
    public async Task An_open_step_that_carries_several_units_reports_its_target_in_units_like_its_rate()
    {
        var scenario = new Scenario("tasks", _ => ValueTask.FromResult(Response.Ok(5)))
        {
            WarmUp = TimeSpan.Zero,
            StepUnit = "enqueue calls of 5 jobs",
            ItemsPerStep = 5,
            Simulations = [Simulation.Inject(40, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
        };

        var result = await _runner.RunAsync(scenario, CancellationToken.None);

        Assert.Equal(40, result.Ok);
        Assert.Equal(200, result.Items);
        Assert.Equal(200, result.TargetRate);
        Assert.Equal("inject 40 enqueue calls of 5 jobs a second for 1 s", Assert.Single(result.Simulations));
        Assert.All(result.Timeline.Where(point => point.Target > 0), point => Assert.Equal(200, point.Target));
    }

    [Fact]
    public async Task A_warm_up_run_before_the_scenario_was_made_is_reported_as_its_warm_up_and_none_runs_again()
    {
        var calls = 0;
        var scenario = new Scenario("claim-ack", _ =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(Response.Ok());
        })
        {
            WarmUp = TimeSpan.Zero,
            WarmedUpBeforehand = TimeSpan.FromSeconds(2.5),
            Simulations = [Simulation.IterationsForConstant(2, 10)],
        };

        var result = await _runner.RunAsync(scenario, CancellationToken.None);

        Assert.Equal((TimeSpan.FromSeconds(2.5), 10), (result.WarmUp, calls));
    }

    [Fact]
    public async Task An_open_phase_is_not_shown_as_a_fraction_of_its_reference_a_closed_one_is()
    {
        Scenario Phase(LoadSimulation simulation) => new("enqueue", _ => ValueTask.FromResult(Response.Ok()))
        {
            WarmUp = TimeSpan.Zero,
            Simulations = [simulation],
            Reference = "redis-benchmark enqueue script -P1",
        };

        var open = await _runner.RunAsync(Phase(Simulation.Inject(20, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200))), CancellationToken.None);
        var closed = await _runner.RunAsync(Phase(Simulation.IterationsForConstant(2, 10)), CancellationToken.None);

        Assert.Equal((null, "redis-benchmark enqueue script -P1"), (open.Reference, closed.Reference));
    }

    [Fact]
    public async Task Failures_are_counted_grouped_by_error_and_breach_the_error_threshold_with_the_measured_value()
    {
        var scenario = new Scenario("flaky", context => ValueTask.FromResult(
            context.Invocation % 4 == 0 ? Response.Fail("connection refused") : Response.Ok(2)))
        {
            StepUnit = "claims of 2 jobs",
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.IterationsForConstant(2, 40)],
            Thresholds = [Threshold.ErrorRateBelow(0.05), Threshold.RateAtLeast(1)],
        };

        var result = await _runner.RunAsync(scenario, CancellationToken.None);

        Assert.Equal((30, 10, 60), (result.Ok, result.Failed, result.Items));
        Assert.Equal(("connection refused", 10L), Assert.Single(result.Errors));
        Assert.Null(result.GeneratorLag);   // a closed model has no schedule to be late for
        var errors = Assert.Single(result.Checks, check => check.Name.StartsWith("errors", StringComparison.Ordinal));
        Assert.False(errors.Passed);
        Assert.Equal("25.0 % (10 of 40 claims of 2 jobs)", errors.Measured);   // steps, not the jobs they carry
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task A_scenario_whose_rate_and_latency_are_not_judged_reports_both_with_the_reason()
    {
        var scenario = new Scenario("kill", _ => ValueTask.FromResult(Response.Ok(5)))
        {
            Unit = "jobs",
            WarmUp = TimeSpan.Zero,
            Simulations = [Simulation.IterationsForConstant(1, 10)],
            RateAndLatencyNotJudged = "the leases hold both back",
        };

        var result = await _runner.RunAsync(scenario, CancellationToken.None);

        var row = Assert.Single(result.Checks);
        Assert.Equal(("rate and latency: no threshold", "reported"), (row.Name, row.Outcome));
        Assert.Matches(@"^[\d,.]+ jobs/s, p99 [\d,.]+ ms: the leases hold both back$", row.Measured);
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task The_warm_up_goes_on_while_a_compiler_is_busy_and_the_result_says_how_long_it_ran()
    {
        // The compiler thread of "service" keeps working for the first two looks after the warm-up starts.
        var busyLooks = 3;
        var compiled = 0.0;
        var compilers = new CompilerWatch(
            () => new Dictionary<string, int>(StringComparer.Ordinal) { ["service"] = 42 },
            _ => new Dictionary<int, double> { [7] = Interlocked.Decrement(ref busyLooks) >= 0 ? compiled += 1 : compiled });
        var logged = new List<string>();
        var runner = new ScenarioRunner(new CpuSampler(), logged.Add, compilers);
        var warmUpSteps = 0;
        var readyAfter = new List<int>();
        var scenario = new Scenario("warm", context =>
        {
            if (context.WarmUp)
            {
                Interlocked.Increment(ref warmUpSteps);
            }

            return ValueTask.FromResult(Response.Ok());
        })
        {
            WarmUp = TimeSpan.FromMilliseconds(300),
            Simulations = [Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
            Ready = _ =>
            {
                readyAfter.Add(warmUpSteps);
                return Task.CompletedTask;
            },
        };

        var result = await runner.RunAsync(scenario, CancellationToken.None);

        Assert.Equal(100, result.Ok);   // the extra warm-up is not measured either
        Assert.Equal(130, warmUpSteps);   // 30 in the scenario's warm-up, 100 in the extension's one-second step
        Assert.Equal([30, 130], readyAfter);   // before the extension's step, and before the measured part
        Assert.InRange(result.WarmUp, TimeSpan.FromSeconds(1.3), TimeSpan.FromSeconds(10));
        Assert.Contains(logged, line => line.Contains("still busy in service", StringComparison.Ordinal));
        Assert.Contains(logged, line => line.Contains("compilers idle after", StringComparison.Ordinal));
    }

    [Fact]
    public void Work_read_afterwards_reports_a_short_last_second_per_second_of_the_part_that_ran()
    {
        var start = DateTimeOffset.UnixEpoch;
        // 100 stored in the first second, 25 in the first quarter of the second one (the run ended there).
        var completions = Enumerable.Range(0, 100).Select(i => new Completion(start, start.AddMilliseconds(i * 10)))
            .Concat(Enumerable.Range(0, 25).Select(i => new Completion(start, start.AddMilliseconds(1000 + (i * 10)))))
            .ToList();

        var (latency, timeline, duration) = ScenarioRunner.FromCompletions(completions, start, [], TimeSpan.FromSeconds(1));

        Assert.Equal(125, latency.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(1240), duration);
        Assert.Equal([100, 104], timeline.Select(point => Math.Round(point.Rate)));
    }

    /// <summary>helper-91: CI's 3 s phases drew charts of three points.</summary>
    [Fact]
    public void A_phase_under_10_s_takes_a_point_every_half_second_and_work_read_afterwards_is_bucketed_so()
    {
        Assert.Equal(TimeSpan.FromSeconds(0.5), ScenarioRunner.TickFor(TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromSeconds(1), ScenarioRunner.TickFor(TimeSpan.FromSeconds(10)));

        var start = DateTimeOffset.UnixEpoch;
        // One stored every 10 ms for 1.5 s: 50 in each half second.
        var completions = Enumerable.Range(0, 150).Select(i => new Completion(start, start.AddMilliseconds(i * 10))).ToList();
        var cpu = new TimelinePoint(0.501, 0, 100, 0, 0, 0, 0.25, 0.5, new Dictionary<string, double>(StringComparer.Ordinal));

        // The second flush came 0.3 s late, on a busy machine: it still closes the second half second.
        var (_, timeline, _) = ScenarioRunner.FromCompletions(completions, start, [cpu, cpu with { Second = 1.3, GeneratorCores = 0.3 }], TimeSpan.FromSeconds(0.5));

        Assert.Equal([0.5, 1.0, 1.5], timeline.Select(point => point.Second));
        Assert.Equal([100, 100, 102], timeline.Select(point => Math.Round(point.Rate)));   // the last over the 0.49 s that ran
        Assert.Equal([0.25, 0.3], timeline.Take(2).Select(point => point.GeneratorCores));
    }

    [Fact]
    public void Two_flushes_in_one_second_share_it_and_a_flush_without_cpu_figures_keeps_the_others()
    {
        var none = new Dictionary<string, double>(StringComparer.Ordinal);
        TimelinePoint Flush(double second, long errors, double cores) =>
            new(second, 0, 100, 0, 0, errors, cores, cores, double.IsNaN(cores) ? none : new Dictionary<string, double>(StringComparer.Ordinal) { ["worker"] = cores });

        var (_, timeline, _) = ScenarioRunner.FromCompletions([], DateTimeOffset.UnixEpoch, [Flush(1.001, 0, 0.5), Flush(2.002, 1, 0.6), Flush(2.006, 2, double.NaN)], TimeSpan.FromSeconds(1));

        Assert.Equal([0.5, 0.6], timeline.Select(point => point.GeneratorCores));
        Assert.Equal([0L, 3L], timeline.Select(point => point.Errors));
        Assert.Equal(0.6, timeline[1].Processes["worker"]);
    }
}

/// <summary>Stored results carry PostgreSQL's wall clock: a step's start is read on the same clock.</summary>
public sealed class ClockTests
{
    [Fact]
    public void A_timestamp_is_read_on_the_wall_clock_at_the_moment_of_the_call()
    {
        var second = System.Diagnostics.Stopwatch.Frequency;
        var now = System.Diagnostics.Stopwatch.GetTimestamp();

        var before = DateTimeOffset.UtcNow;
        var wall = Clock.WallOf(now - second);
        var after = DateTimeOffset.UtcNow;

        Assert.InRange(wall, before - TimeSpan.FromSeconds(1.5), after - TimeSpan.FromSeconds(0.5));
        Assert.InRange(Clock.WallOf(now + second), before + TimeSpan.FromSeconds(0.5), after + TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public void A_wall_clock_that_moved_10_ms_or_more_during_a_phase_is_reported()
    {
        Assert.Null(ScenarioRunner.WallClockMoved(TimeSpan.FromMilliseconds(9)));

        var moved = ScenarioRunner.WallClockMoved(TimeSpan.FromSeconds(-23));

        Assert.NotNull(moved);
        Assert.Equal("reported", moved.Outcome);
        Assert.Contains("moved -23,000 ms", moved.Measured, StringComparison.Ordinal);
    }
}
