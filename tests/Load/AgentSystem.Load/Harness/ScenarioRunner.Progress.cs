using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace AgentSystem.Load.Harness;

/// <summary>The timeline's ticks, the progress lines of long phases, and the counters both read.</summary>
internal sealed partial class ScenarioRunner
{
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
    /// "queue-e2e-at-rate: 20.0 of 60 s: 17,995 jobs/s (target 18,000/s), steps' p99 4.12 ms, 0 errors, in the last 10.0 s";
    /// a closed phase says its copies instead of a target, one counted in iterations (no <paramref name="total"/>) only
    /// its seconds so far, to a tenth as its span is (whole seconds read "10 of 20 s ... in the last 11.0 s" at a late
    /// tick). The steps' latency: where it runs to a stored result, that is read after the phase.
    /// </summary>
    internal static string Progress(Scenario scenario, TimeSpan elapsed, TimeSpan total, ProgressFigures figures, double? target, int? copies) =>
        $"{scenario.Name}: {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}"
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
