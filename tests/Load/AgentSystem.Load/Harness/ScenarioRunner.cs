using System.Collections.Concurrent;
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
internal sealed class ScenarioRunner(CpuSampler cpu, Action<string> log, CompilerWatch? compilers = null)
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

    private Task RunSimulationAsync(Scenario scenario, LoadSimulation simulation, double previous, Stats stats, CancellationToken cancellationToken)
    {
        stats.Open = simulation.IsOpen;
        return simulation.IsOpen
            ? RunOpenAsync(scenario, simulation, previous, stats, cancellationToken)
            : RunClosedAsync(scenario, simulation, previous, stats, cancellationToken);
    }

    private static async Task RunClosedAsync(Scenario scenario, LoadSimulation simulation, double previous, Stats stats, CancellationToken cancellationToken)
    {
        var iterations = simulation is IterationsForConstant counted ? counted.Iterations : -1;
        long next = 0;
        var copies = new List<(Task Loop, CancellationTokenSource Stop)>();
        var start = Stopwatch.GetTimestamp();

        void StartCopy()
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var copy = copies.Count;
            copies.Add((Task.Run(() => CopyLoopAsync(copy, stop.Token), CancellationToken.None), stop));
        }

        async Task CopyLoopAsync(int copy, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var invocation = Interlocked.Increment(ref next) - 1;
                if (iterations >= 0 && invocation >= iterations)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                var response = await InvokeAsync(scenario, new StepContext(invocation, copy, started, stats.WarmUp, cancellationToken));
                stats.Record(response, started);
            }
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                if (iterations < 0 && elapsed >= simulation.During)
                {
                    break;
                }

                var target = (int)simulation.TargetAt(elapsed, previous);
                Volatile.Write(ref stats.Target, target);
                var active = copies.Count(c => !c.Stop.IsCancellationRequested);
                for (; active < target; active++)
                {
                    StartCopy();
                }

                foreach (var (_, stop) in copies.Where(c => !c.Stop.IsCancellationRequested).Skip(target))
                {
                    await stop.CancelAsync();
                }

                if (iterations >= 0 && copies.All(c => c.Loop.IsCompleted))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var (_, stop) in copies)
            {
                await stop.CancelAsync();
            }

            await Task.WhenAll(copies.Select(c => c.Loop));
            foreach (var (_, stop) in copies)
            {
                stop.Dispose();
            }
        }
    }

    private async Task RunOpenAsync(Scenario scenario, LoadSimulation simulation, double previous, Stats stats, CancellationToken cancellationToken)
    {
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var total = Injection.DueBy(simulation, previous, simulation.During);
        var start = Stopwatch.GetTimestamp();
        stats.Schedule = new Schedule(simulation, previous, start, stats.Schedule?.ItemsBy(start) ?? 0, stats.Schedule?.OpenSince ?? start, scenario.ItemsPerStep);
        var inFlight = 0L;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fired = 0L;
        var overloaded = 0L;

        void Done()
        {
            if (Interlocked.Decrement(ref inFlight) == 0 && Interlocked.Read(ref fired) >= total)
            {
                drained.TrySetResult();
            }
        }

        async Task InvokeOneAsync(long invocation, long scheduled)
        {
            try
            {
                stats.RecordLag(scheduled);
                var response = await InvokeAsync(scenario, new StepContext(invocation, -1, scheduled, stats.WarmUp, abandon.Token));
                stats.Record(response, scheduled);
            }
            finally
            {
                Done();
            }
        }

        void Inject()
        {
            while (fired < total && !cancellationToken.IsCancellationRequested)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                Volatile.Write(ref stats.Target, simulation.TargetAt(elapsed, previous) * scenario.ItemsPerStep);
                var due = Injection.DueBy(simulation, previous, elapsed);
                for (; fired < due; fired++)
                {
                    var scheduled = start + (long)(Injection.DueAt(simulation, previous, fired).TotalSeconds * Stopwatch.Frequency);
                    if (Interlocked.Increment(ref inFlight) > MaxInFlight)
                    {
                        overloaded++;
                        stats.Record(Response.Fail($"generator: more than {MaxInFlight} invocations in flight"), scheduled);
                        Interlocked.Decrement(ref inFlight);
                        continue;
                    }

                    // Started here, up to its first await, not handed to the thread pool: a hop that woke a pool thread
                    // per invocation and was late by a millisecond or more under load, counted as the system's latency.
                    _ = InvokeOneAsync(fired, scheduled);
                }

                // Until the next one is due (not at all when it is due already); Thread.Sleep wakes about 0.1 ms late,
                // Task.Delay a millisecond or two (its timer thread, then a pool thread).
                var next = fired < total ? Injection.DueAt(simulation, previous, fired) - Stopwatch.GetElapsedTime(start) : TimeSpan.Zero;
                if (next > TimeSpan.Zero)
                {
                    Thread.Sleep(Math.Clamp((int)Math.Ceiling(next.TotalMilliseconds), 1, 50));
                }
            }
        }

        // LongRunning: a thread of its own, not a pool thread, since Inject sleeps.
        await Task.Factory.StartNew(Inject, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Interlocked.Exchange(ref fired, total);
        if (Interlocked.Read(ref inFlight) == 0)
        {
            drained.TrySetResult();
        }

        try
        {
            await drained.Task.WaitAsync(InFlightGrace, cancellationToken);
        }
        catch (TimeoutException)
        {
            log($"{scenario.Name}: {Interlocked.Read(ref inFlight)} invocations still in flight after {InFlightGrace.TotalSeconds:0} s: cancelled");
            await abandon.CancelAsync();
            await drained.Task.WaitAsync(InFlightGrace, CancellationToken.None);
        }

        if (overloaded > 0)
        {
            log($"{scenario.Name}: {overloaded} invocations not made: the system fell behind by more than {MaxInFlight}");
        }
    }

    private static async ValueTask<Response> InvokeAsync(Scenario scenario, StepContext context)
    {
        try
        {
            return await scenario.Step(context);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            return Response.Fail($"{error.GetType().Name}: {error.Message}");
        }
    }

    /// <summary>
    /// How often the timeline takes a point: every second, or every half second in a phase shorter than 10 s, whose
    /// charts had three points at CI's 3 s (helper-91). Not shorter: a CPU sample needs <see cref="CpuSampler.ShortestSpan"/>.
    /// </summary>
    internal static TimeSpan TickFor(TimeSpan measured) => measured < TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(1);

    private async Task TickAsync(Scenario scenario, TimeSpan total, Stats stats, TimeSpan tick, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(tick);
        // A phase counted in iterations (claim-ack) has no length ahead (0 here): it logs as long as it runs.
        var nextProgress = total == TimeSpan.Zero || total >= ProgressEvery * 2 ? ProgressEvery : TimeSpan.MaxValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var target = Volatile.Read(ref stats.Target);
                stats.Flush(cpu.Sample(), target);
                var elapsed = Stopwatch.GetElapsedTime(stats.Start);
                // Not at the very end of a phase of known length: its own result line follows at once.
                if (elapsed >= nextProgress && stats.Running && (total == TimeSpan.Zero || elapsed < total))
                {
                    var figures = stats.TakeProgress();
                    log(Progress(scenario, elapsed, total, figures, stats.Open ? figures.ScheduledRate : null, stats.Open ? null : (int)target));
                    // From this line, not the schedule: a late tick must not leave the next line a sliver of a span.
                    nextProgress = elapsed + ProgressEvery - (tick / 2);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// "queue-e2e-at-rate: 20 of 60 s: 17,995 jobs/s (target 18,000/s), steps' p99 4.12 ms, 0 errors, in the last 10.0 s";
    /// a closed phase says its copies instead of a target, one counted in iterations (no <paramref name="total"/>) only
    /// its seconds so far. The steps' latency: where it runs to a stored result, that is read after the phase.
    /// </summary>
    internal static string Progress(Scenario scenario, TimeSpan elapsed, TimeSpan total, ProgressFigures figures, double? target, int? copies) =>
        $"{scenario.Name}: {Figures.Format(Math.Floor(elapsed.TotalSeconds), decimals: false)}"
        + (total > TimeSpan.Zero ? $" of {Figures.Format(total.TotalSeconds, decimals: false)}" : "") + " s: "
        + $"{Figures.Format(figures.Rate, decimals: figures.Rate is > 0 and < 100)} {scenario.Unit}/s"
        + (target is { } rate ? $" (target {Figures.Format(rate)}/s)" : copies is { } n ? $" ({Figures.Format(n, decimals: false)} {(n == 1 ? "copy" : "copies")})" : "") + ", "
        + $"steps' p99 {(figures.Steps > 0 ? $"{Figures.Format(figures.P99Ms)} ms" : "-")}, {Figures.Format(figures.Errors, decimals: false)} errors, "
        + $"in the last {Figures.Format(figures.Span.TotalSeconds)} s";

    /// <summary>
    /// What a progress line reports: since the line before. <paramref name="ScheduledRate"/> is what an open model
    /// scheduled in those seconds, its target's mean over them, so a ramp's line sets the rate beside the target it
    /// was measured against rather than the target reached at its end.
    /// </summary>
    internal readonly record struct ProgressFigures(double Rate, double P99Ms, long Steps, long Errors, TimeSpan Span, double ScheduledRate = 0);

    /// <summary>
    /// An open simulation's schedule in items (invocations times <paramref name="ItemsPerStep"/>), counted from the
    /// phase's first open simulation (<paramref name="OpenSince"/>, a timestamp): what it asked for by any moment is a
    /// closed form (<see cref="Injection.Scheduled"/>), so a span's mean target is exact rather than the target read at
    /// the span's end, which on a ramp is ahead of what the span was asked.
    /// </summary>
    internal sealed record Schedule(LoadSimulation Simulation, double Previous, long Start, double Before, long OpenSince, int ItemsPerStep)
    {
        public double ItemsBy(long timestamp) => Before + (Injection.Scheduled(Simulation, Previous, Stopwatch.GetElapsedTime(Start, timestamp)) * ItemsPerStep);
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

    /// <summary>Counters and latencies, recorded from every copy at once; flushed into the timeline every tick.</summary>
    private sealed class Stats
    {
        public long Ok;
        public long Failed;
        public long Items;
        public long LastDone;
        public long Start;
        public double Target;

        /// <summary>The open simulation running now, or the last one; null before the first.</summary>
        public volatile Schedule? Schedule;

        /// <summary>Whether the simulation running now is open (<see cref="Target"/> a rate) or closed (the copies).</summary>
        public volatile bool Open;

        /// <summary>Cleared when the last simulation has ended: no progress line after it.</summary>
        public volatile bool Running = true;
        private readonly Recorder _recorder = Latency.NewRecorder();
        private readonly Recorder _lag = Latency.NewRecorder();
        private HistogramBase? _interval;
        private long _flushedItems;
        private long _flushedFailed;
        private double _flushedAt;
        private readonly HistogramBase _sinceProgress = Latency.NewHistogram();
        private double _flushedScheduled;
        private long _progressItems;
        private long _progressFailed;
        private double _progressScheduled;
        private double _progressAt;

        public HistogramBase Total { get; } = Latency.NewHistogram();

        public bool WarmUp { get; init; }

        public ConcurrentDictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<TimelinePoint> Timeline { get; } = new();

        public void Record(Response response, long started)
        {
            var now = Stopwatch.GetTimestamp();
            _recorder.RecordValue(Latency.Microseconds(Stopwatch.GetElapsedTime(started, now)));
            if (response.IsOk)
            {
                Interlocked.Increment(ref Ok);
                Interlocked.Add(ref Items, response.Items);
            }
            else
            {
                Interlocked.Increment(ref Failed);
                if (Errors.Count < 50 || Errors.ContainsKey(response.Error ?? ""))
                {
                    Errors.AddOrUpdate(response.Error ?? "error", 1, static (_, count) => count + 1);
                }
            }

            long last;
            while ((last = Interlocked.Read(ref LastDone)) < now && Interlocked.CompareExchange(ref LastDone, now, last) != last)
            {
            }
        }

        /// <summary>Open model: how late the generator started an invocation after its scheduled moment.</summary>
        public void RecordLag(long scheduled) => _lag.RecordValue(Latency.Microseconds(Stopwatch.GetElapsedTime(scheduled)));

        /// <summary>The lags recorded (null when none were: a closed model); call once, at the end.</summary>
        public LatencySummary? Lag() => _lag.GetIntervalHistogram() is { TotalCount: > 0 } lags ? new LatencySummary(lags) : null;

        /// <summary>The figures since the last call (or the start); called from the ticker, after a flush.</summary>
        public ProgressFigures TakeProgress()
        {
            var summary = new LatencySummary(_sinceProgress);
            var (items, failed) = (_flushedItems, _flushedFailed);
            var span = Math.Max(1e-3, _flushedAt - _progressAt);
            // Over the part of the span the open simulations ran: the first starts a moment after the phase.
            var openSince = Schedule is { } schedule ? Stopwatch.GetElapsedTime(Start, schedule.OpenSince).TotalSeconds : _flushedAt;
            var scheduledSpan = Math.Max(1e-3, _flushedAt - Math.Max(_progressAt, openSince));
            var figures = new ProgressFigures((items - _progressItems) / span, summary.P99, summary.Count, failed - _progressFailed, TimeSpan.FromSeconds(span),
                (_flushedScheduled - _progressScheduled) / scheduledSpan);
            _sinceProgress.Reset();
            (_progressItems, _progressFailed, _progressScheduled, _progressAt) = (items, failed, _flushedScheduled, _flushedAt);
            return figures;
        }

        public void Flush(CpuSample sample, double target)
        {
            _interval = _recorder.GetIntervalHistogram(_interval);
            Total.Add(_interval);
            _sinceProgress.Add(_interval);
            var summary = new LatencySummary(_interval);
            var items = Interlocked.Read(ref Items);
            var failed = Interlocked.Read(ref Failed);
            var now = Stopwatch.GetTimestamp();
            var elapsed = Stopwatch.GetElapsedTime(Start, now).TotalSeconds;
            var span = Math.Max(1e-3, elapsed - _flushedAt);
            Timeline.Enqueue(new TimelinePoint(elapsed, (items - _flushedItems) / span, target, summary.P50, summary.P99, failed - _flushedFailed,
                sample.GeneratorCores, sample.MachineBusy, sample.Processes));
            _flushedItems = items;
            _flushedFailed = failed;
            _flushedScheduled = Schedule?.ItemsBy(now) ?? 0;
            _flushedAt = elapsed;
        }
    }
}
