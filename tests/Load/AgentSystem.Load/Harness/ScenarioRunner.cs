using System.Diagnostics;
using HdrHistogram;

namespace AgentSystem.Load.Harness;

/// <summary>
/// Runs one <see cref="Scenario"/>: init, warm-up (the first simulation's shape, not recorded; longer while a JIT
/// compiler is busy), the simulations one after another with a timeline sampled every second, the completions and
/// checks, clean. Closed simulations keep a number of copies looping over the step; open ones inject invocations on a
/// schedule without waiting for earlier ones.
/// </summary>
/// <param name="compilers">The run's .NET processes' compilers; without it the warm-up is what the scenario says.</param>
internal sealed partial class ScenarioRunner(CpuSampler cpu, Action<string> log, CompilerWatch? compilers = null)
{
    /// <summary>How much the warm-up may be extended while a compiler is busy.</summary>
    public static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(30);

    /// <summary>The extension's steps: the compilers are looked at after each.</summary>
    private static readonly TimeSpan SettleStep = TimeSpan.FromSeconds(1);

    /// <summary>Open model: more invocations in flight than this count as failures (the generator would run out of memory).</summary>
    public int MaxInFlight { get; init; } = 200_000;

    /// <summary>After the last simulation, how long invocations still in flight may take before they are cancelled.</summary>
    public TimeSpan InFlightGrace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often a phase of at least twice as long logs how it goes (long work shows progress): a 5-minute run says
    /// something every 10 s, CI's 3 s phases nothing.
    /// </summary>
    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<ScenarioResult> RunAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Simulations.Count == 0)
        {
            throw new ArgumentException($"Scenario '{scenario.Name}' has no load simulation.", nameof(scenario));
        }

        try
        {
            if (scenario.Init is { } init)
            {
                await init(cancellationToken);
            }

            var warmedUp = scenario.WarmUp > TimeSpan.Zero ? await WarmUpAsync(scenario, cancellationToken) : scenario.WarmedUpBeforehand;
            await ReadyAsync(scenario, cancellationToken);
            return await MeasureAsync(scenario, warmedUp, cancellationToken);
        }
        finally
        {
            if (scenario.Clean is { } clean)
            {
                await clean(CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// The scenario's warm-up, then more in steps while a compiler is still busy (at most <see cref="MaxSettle"/>):
    /// measured before it settles, a rate is partly the compiler's. Returns how long it warmed up in all.
    /// </summary>
    private async Task<TimeSpan> WarmUpAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        log($"{scenario.Name}: warm-up {KeepConstant.Seconds(scenario.WarmUp)}");
        var start = Stopwatch.GetTimestamp();
        compilers?.Busy();   // the look after the warm-up covers the warm-up only
        var stats = new Stats { WarmUp = true };
        await RunSimulationAsync(scenario, WarmUpOf(scenario.Simulations[0], scenario.WarmUp), 0, stats, cancellationToken);
        if (compilers is null || compilers.Busy() is not { Count: > 0 } busy)
        {
            return Stopwatch.GetElapsedTime(start);
        }

        log($"{scenario.Name}: the JIT compiler is still busy in {string.Join(", ", busy)}: warming up until it is idle (for about {KeepConstant.Seconds(MaxSettle)} more at most, looking after each 1 s step)");
        var settling = Stopwatch.StartNew();
        while (busy.Count > 0 && settling.Elapsed < MaxSettle)
        {
            // Rows for the step made first, and the look starts after them: a step that waited for its rows would
            // show compilers idle for want of work, not for want of methods to compile.
            await ReadyAsync(scenario, cancellationToken);
            compilers.Busy();
            await RunSimulationAsync(scenario, WarmUpOf(scenario.Simulations[0], SettleStep), 0, stats, cancellationToken);
            busy = compilers.Busy();
        }

        var warmedUp = Stopwatch.GetElapsedTime(start);
        log(busy.Count == 0
            ? $"{scenario.Name}: compilers idle after {KeepConstant.Seconds(warmedUp)} of warm-up"
            : $"{scenario.Name}: still compiling in {string.Join(", ", busy)} after {KeepConstant.Seconds(warmedUp)} of warm-up: measuring anyway");
        return warmedUp;
    }

    /// <summary>Latencies to stored results are off by as much as the wall clock moved during the phase: said when 10 ms or more.</summary>
    internal static CheckResult? WallClockMoved(TimeSpan moved) =>
        moved.Duration() < TimeSpan.FromMilliseconds(10) ? null : CheckResult.Report(
            "the wall clock during the phase",
            $"moved {Figures.Format(moved.TotalMilliseconds)} ms against the monotonic clock (stepped or slewed): a latency to a stored result is off by up to that much");

    private static Task ReadyAsync(Scenario scenario, CancellationToken cancellationToken) =>
        scenario.Ready is { } ready ? ready(cancellationToken) : Task.CompletedTask;

    private async Task<ScenarioResult> MeasureAsync(Scenario scenario, TimeSpan warmedUp, CancellationToken cancellationToken)
    {
        var total = scenario.Simulations.Where(s => s.During > TimeSpan.Zero).Aggregate(TimeSpan.Zero, (sum, s) => sum + s.During);
        var tick = TickFor(total);
        var stats = new Stats();
        stats.Start = Stopwatch.GetTimestamp();
        var startedAt = Clock.WallOf(stats.Start);
        var wallOffset = Clock.WallOffset();
        var pausedBefore = GC.GetTotalPauseDuration();
        cpu.Sample();
        using var ticking = new CancellationTokenSource();
        var ticker = TickAsync(scenario, total, stats, tick, ticking.Token);
        using var duringStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var during = scenario.During is { } hook ? Task.Run(() => hook(total, duringStop.Token), CancellationToken.None) : Task.CompletedTask;

        var previous = 0.0;
        foreach (var simulation in scenario.Simulations)
        {
            log($"{scenario.Name}: {simulation.Describe(scenario.StepUnit)}");
            await RunSimulationAsync(scenario, simulation, previous, stats, cancellationToken);
            previous = simulation.EndTarget(previous);
        }

        stats.Running = false;
        await duringStop.CancelAsync();
        await during;

        // The last flush first: the total histogram holds only what the flushes moved into it.
        await ticking.CancelAsync();
        await ticker;
        stats.Flush(cpu.Sample(), Volatile.Read(ref stats.Target));
        var paused = GC.GetTotalPauseDuration() - pausedBefore;

        LatencySummary? callLatency = null;
        var latency = new LatencySummary(stats.Total);
        var items = Interlocked.Read(ref stats.Items);
        var lastDone = Interlocked.Read(ref stats.LastDone);
        IReadOnlyList<Completion>? completions = null;
        if (scenario.Completions is { } read)
        {
            log($"{scenario.Name}: waiting for the work to be stored");
            completions = await read(cancellationToken);
        }

        var timeline = stats.Timeline.ToList();
        var duration = Stopwatch.GetElapsedTime(stats.Start, Math.Max(lastDone, stats.Start + 1));
        if (completions is not null)
        {
            callLatency = latency;
            (latency, timeline, duration) = FromCompletions(completions, startedAt, timeline, tick);
            items = completions.Count;
        }

        var checks = new List<CheckResult>();
        if (scenario.Verify is { } verify)
        {
            checks.AddRange(await verify(cancellationToken));
        }

        if (completions is not null && WallClockMoved(Clock.WallOffset() - wallOffset) is { } moved)
        {
            checks.Add(moved);
        }

        var result = new ScenarioResult
        {
            Name = scenario.Name,
            Description = scenario.Description,
            Unit = scenario.Unit,
            StepUnit = scenario.StepUnit,
            Simulations = [.. scenario.Simulations.Select(s => s.Describe(scenario.StepUnit))],
            WarmUp = warmedUp,
            Duration = duration,
            Ok = Interlocked.Read(ref stats.Ok),
            Failed = Interlocked.Read(ref stats.Failed),
            Items = items,
            Rate = duration > TimeSpan.Zero ? items / duration.TotalSeconds : 0,
            TargetRate = TargetRate(scenario.Simulations) * scenario.ItemsPerStep,
            Latency = latency,
            CallLatency = callLatency,
            GeneratorLag = stats.Lag(),
            GeneratorPaused = paused,
            Timeline = timeline,
            Tick = tick,
            Errors = [.. stats.Errors.OrderByDescending(pair => pair.Value).Take(5).Select(pair => (pair.Key, pair.Value))],
            Checks = [],
            Reference = scenario.Simulations.Any(simulation => simulation.IsOpen) ? null : scenario.Reference,
        };
        IEnumerable<CheckResult> notJudged = scenario.RateAndLatencyNotJudged is { } why
            ?
            [
                CheckResult.Report("rate and latency: no threshold",
                    $"{Figures.Format(result.Rate)}{(result.TargetRate is { } target ? $" of {Figures.Format(target)}" : "")} {scenario.Unit}/s, p99 {Figures.Format(result.Latency.P99)} ms: {why}"),
            ]
            : [];
        return result with { Thresholds = scenario.Thresholds, Checks = [.. scenario.Thresholds.Select(threshold => threshold.Check(result)), .. checks, .. notJudged] };
    }

    private static LoadSimulation WarmUpOf(LoadSimulation first, TimeSpan warmUp) => first switch
    {
        IterationsForConstant iterations => new KeepConstant(iterations.Copies, warmUp),
        RampingConstant ramp => new KeepConstant(ramp.Copies, warmUp),
        RampingInject ramp => new Inject(ramp.Rate, ramp.Interval, warmUp),
        KeepConstant keep => keep with { During = warmUp },
        Inject inject => inject with { During = warmUp },
        _ => first,
    };

    private static double? TargetRate(IReadOnlyList<LoadSimulation> simulations)
    {
        if (simulations.Any(s => !s.IsOpen))
        {
            return null;
        }

        var previous = 0.0;
        long invocations = 0;
        var seconds = 0.0;
        foreach (var simulation in simulations)
        {
            invocations += Injection.DueBy(simulation, previous, simulation.During);
            seconds += simulation.During.TotalSeconds;
            previous = simulation.EndTarget(previous);
        }

        return seconds > 0 ? invocations / seconds : null;
    }

    /// <summary>
    /// Latency, timeline and duration of work read after the run (by the tick it was stored in), CPU kept from the
    /// run's own timeline. The last tick is usually cut short by the last completion: its rate is per second of the
    /// part that ran, not a dip at the end of every chart.
    /// </summary>
    internal static (LatencySummary, List<TimelinePoint>, TimeSpan) FromCompletions(IReadOnlyList<Completion> completions, DateTimeOffset startedAt, List<TimelinePoint> timeline, TimeSpan tick)
    {
        var total = Latency.NewHistogram();
        var ticks = new SortedDictionary<int, HistogramBase>();
        var last = startedAt;
        foreach (var completion in completions)
        {
            var value = Latency.Microseconds(completion.StoredAt - completion.StartedAt);
            total.RecordValue(value);
            var index = (int)Math.Floor((completion.StoredAt - startedAt) / tick);
            if (!ticks.TryGetValue(index, out var bucket))
            {
                ticks[index] = bucket = Latency.NewHistogram();
            }

            bucket.RecordValue(value);
            last = completion.StoredAt > last ? completion.StoredAt : last;
        }

        // A flush at 1.0x ticks closes tick 0, and a late one (up to almost a whole tick: a timer waits, it does not run
        // early, but its moment is read on another clock, hence the 2 %) still closes the tick it was due for. Two flushes
        // in one tick (the final one just after the last tick) share it: errors add up, and a sample too short for CPU
        // figures keeps the other's.
        var byCpu = new Dictionary<int, TimelinePoint>();
        foreach (var point in timeline)
        {
            var index = Math.Max(0, (int)Math.Floor((point.Second / tick.TotalSeconds) + 0.02) - 1);
            byCpu[index] = byCpu.TryGetValue(index, out var earlier) ? Merged(earlier, point) : point;
        }

        var points = new List<TimelinePoint>();
        var lastIndex = Math.Max(ticks.Count == 0 ? 0 : ticks.Keys.Max(), byCpu.Count == 0 ? 0 : byCpu.Keys.Max());
        for (var index = 0; index <= lastIndex; index++)
        {
            var cpuPoint = byCpu.GetValueOrDefault(index);
            var bucket = ticks.GetValueOrDefault(index);
            var summary = bucket is null ? LatencySummary.Empty : new LatencySummary(bucket);
            var span = Math.Clamp((last - startedAt).TotalSeconds - index * tick.TotalSeconds, 0, tick.TotalSeconds);
            var rate = span > 0 ? summary.Count / span : summary.Count / tick.TotalSeconds;
            points.Add(new TimelinePoint((index + 1) * tick.TotalSeconds, rate, cpuPoint?.Target ?? 0, summary.P50, summary.P99, cpuPoint?.Errors ?? 0,
                cpuPoint?.GeneratorCores ?? double.NaN, cpuPoint?.MachineBusy ?? double.NaN, cpuPoint?.Processes ?? new Dictionary<string, double>()));
        }

        return (new LatencySummary(total), points, last - startedAt);
    }

    private static TimelinePoint Merged(TimelinePoint earlier, TimelinePoint later) =>
        later with
        {
            Errors = earlier.Errors + later.Errors,
            GeneratorCores = double.IsFinite(later.GeneratorCores) ? later.GeneratorCores : earlier.GeneratorCores,
            MachineBusy = double.IsFinite(later.MachineBusy) ? later.MachineBusy : earlier.MachineBusy,
            Processes = later.Processes.Count > 0 ? later.Processes : earlier.Processes,
        };
}
