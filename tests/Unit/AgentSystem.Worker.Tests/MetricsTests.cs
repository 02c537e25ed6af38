using System.Diagnostics.Metrics;
using AgentSystem.Worker.Options;
using AgentSystem.Worker.Services;
using AgentSystem.Worker.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Worker.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Latency_window_reports_count_median_p95_and_max()
    {
        var window = new LatencyWindow(TimeProvider.System);
        for (var ms = 100; ms >= 1; ms--)
        {
            window.Record(TimeSpan.FromMilliseconds(ms));
        }

        Assert.Equal(new LatencySnapshot(100, 50, 95, 100), window.Snapshot());
    }

    [Fact]
    public void Latency_window_forgets_samples_older_than_its_window()
    {
        var time = new FakeTimeProvider();
        var window = new LatencyWindow(time);
        window.Record(TimeSpan.FromSeconds(9));
        time.Advance(LatencyWindow.Window + TimeSpan.FromSeconds(1));
        window.Record(TimeSpan.FromMilliseconds(3));

        Assert.Equal(new LatencySnapshot(1, 3, 3, 3), window.Snapshot());
        time.Advance(LatencyWindow.Window + TimeSpan.FromSeconds(1));
        Assert.Equal(LatencySnapshot.Empty, window.Snapshot());
    }

    [Fact]
    public void Counters_are_published_on_the_worker_meter()
    {
        using var metrics = new WorkerMetrics();
        var seen = new List<(string Name, double Value)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen.Add((instrument.Name, value)));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => seen.Add((instrument.Name, value)));
        listener.Start();

        metrics.JobStarted("echo");
        metrics.RecordProcessed("echo", TimeSpan.FromMilliseconds(1500));
        metrics.JobEnded("echo");
        metrics.RecordFailed("echo", retried: false);

        Assert.Equal(WorkerMetrics.MeterName, metrics.Meter.Name);
        Assert.Contains(("agentsystem.worker.jobs.processed", 1d), seen);
        Assert.Contains(("agentsystem.worker.job.duration", 1.5d), seen);
        Assert.Contains(("agentsystem.worker.jobs.dead_lettered", 1d), seen);
        Assert.Contains(("agentsystem.worker.jobs.in_flight", -1d), seen);
        var snapshot = metrics.Snapshot();
        Assert.Equal((1, 1, 1, 0), (snapshot.Processed, snapshot.Failed, snapshot.DeadLettered, snapshot.InFlight));
    }

    [Fact]
    public void Default_options_are_valid_and_bad_ones_are_named()
    {
        Assert.Empty(new WorkerOptions().Problems());

        var problems = new WorkerOptions
        {
            Concurrency = 0,
            ClaimBatchSize = 0,
            ClaimPause = TimeSpan.FromSeconds(2),
            JobTimeout = TimeSpan.Zero,
            IdlePoll = TimeSpan.Zero,
            DrainTimeout = TimeSpan.FromSeconds(-1),
            ChatUrl = "chat:3001",
            ChatTimeout = TimeSpan.Zero,
        }.Problems().ToList();

        Assert.Equal(8, problems.Count);
        Assert.Contains("Worker:ClaimPause must be between 00:00:00 and 00:00:01, not 00:00:02.", problems);
        Assert.Contains(problems, problem => problem.StartsWith("Worker:Concurrency must be between 1 and 8192", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("Worker:ChatUrl", StringComparison.Ordinal));
    }
}
