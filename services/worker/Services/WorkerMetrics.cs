using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentSystem.Worker.Services;

/// <summary>
/// GET /metrics. <see cref="Processed"/> and <see cref="Failed"/> keep their meaning from the first version (jobs that
/// succeeded; failed attempts, whether retried or final); the rest was added with the queue consumer. Latencies are in
/// milliseconds over the last minute; <see cref="Queue"/> is null when Redis did not answer.
/// </summary>
public sealed record MetricsSnapshot(
    long Processed,
    long Failed,
    long Retried,
    long DeadLettered,
    long Rejected,
    long Skipped,
    long Returned,
    long Reclaimed,
    long StoreRetries,
    long InFlight,
    int Concurrency,
    QueueDepth? Queue,
    LatencySnapshot JobLatency,
    LatencySnapshot PickupLatency);

public sealed record QueueDepth(long Queued, long Processing, long DeadLettered);

/// <summary>
/// The worker's counters, for GET /metrics (a JSON snapshot) and for OpenTelemetry (the <see cref="MeterName"/> meter).
/// Job latency runs from claim to acknowledgement (result committed); pickup latency from enqueue to claim.
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "AgentSystem.Worker";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _processed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _returned;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Histogram<double> _jobDuration;
    private readonly Histogram<double> _pickupLatency;
    private readonly LatencyWindow _jobLatency;
    private readonly LatencyWindow _pickupWindow;

    private long _processedCount;
    private long _failedCount;
    private long _retriedCount;
    private long _deadLetteredCount;
    private long _rejectedCount;
    private long _skippedCount;
    private long _returnedCount;
    private long _reclaimedCount;
    private long _storeRetryCount;
    private long _inFlightCount;

    public WorkerMetrics(IMeterFactory? meterFactory = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _jobLatency = new LatencyWindow(time);
        _pickupWindow = new LatencyWindow(time);

        _processed = _meter.CreateCounter<long>("agentsystem.worker.jobs.processed", "{job}", "Jobs that succeeded and whose result was stored");
        _failed = _meter.CreateCounter<long>("agentsystem.worker.jobs.failed", "{job}", "Failed attempts, retried or final");
        _retried = _meter.CreateCounter<long>("agentsystem.worker.jobs.retried", "{job}", "Failed attempts sent back to the queue");
        _deadLettered = _meter.CreateCounter<long>("agentsystem.worker.jobs.dead_lettered", "{job}", "Jobs moved to the dead-letter list after their last attempt");
        _returned = _meter.CreateCounter<long>("agentsystem.worker.jobs.returned", "{job}", "Jobs handed back to the queue unfinished at shutdown");
        _inFlight = _meter.CreateUpDownCounter<long>("agentsystem.worker.jobs.in_flight", "{job}", "Jobs claimed and not yet acknowledged");
        _jobDuration = _meter.CreateHistogram<double>("agentsystem.worker.job.duration", "s", "From claim to acknowledgement");
        _pickupLatency = _meter.CreateHistogram<double>("agentsystem.worker.job.pickup_latency", "s", "From enqueue to claim");
    }

    public Meter Meter => _meter;

    public int Concurrency { get; set; }

    public void RecordPickup(string type, TimeSpan latency)
    {
        _pickupWindow.Record(latency);
        _pickupLatency.Record(Math.Max(0, latency.TotalSeconds), Tag(type));
    }

    public void JobStarted(string type)
    {
        Interlocked.Increment(ref _inFlightCount);
        _inFlight.Add(1, Tag(type));
    }

    public void JobEnded(string type)
    {
        Interlocked.Decrement(ref _inFlightCount);
        _inFlight.Add(-1, Tag(type));
    }

    public void RecordProcessed(string type, TimeSpan duration)
    {
        Interlocked.Increment(ref _processedCount);
        _processed.Add(1, Tag(type));
        _jobLatency.Record(duration);
        _jobDuration.Record(duration.TotalSeconds, Tag(type));
    }

    /// <summary>A failed attempt; <paramref name="retried"/> when it went back to the queue, else it was dead-lettered.</summary>
    public void RecordFailed(string type, bool retried)
    {
        Interlocked.Increment(ref _failedCount);
        _failed.Add(1, Tag(type));
        if (retried)
        {
            Interlocked.Increment(ref _retriedCount);
            _retried.Add(1, Tag(type));
        }
        else
        {
            RecordDeadLettered(type, 1);
        }
    }

    /// <summary>Failed for good without retries: an unknown type or an input that can never work.</summary>
    public void RecordRejected(string type)
    {
        Interlocked.Increment(ref _failedCount);
        Interlocked.Increment(ref _rejectedCount);
        _failed.Add(1, Tag(type));
    }

    public void RecordDeadLettered(string? type, long count)
    {
        Interlocked.Add(ref _deadLetteredCount, count);
        _deadLettered.Add(count, Tag(type ?? "unknown"));
    }

    public void RecordSkipped() => Interlocked.Increment(ref _skippedCount);

    public void RecordReturned(string type)
    {
        Interlocked.Increment(ref _returnedCount);
        _returned.Add(1, Tag(type));
    }

    public void RecordReclaimed(long requeued, long deadLettered)
    {
        Interlocked.Add(ref _reclaimedCount, requeued + deadLettered);
        if (deadLettered > 0)
        {
            RecordDeadLettered(null, deadLettered);
        }
    }

    public void RecordStoreRetry() => Interlocked.Increment(ref _storeRetryCount);

    public MetricsSnapshot Snapshot(QueueDepth? queue = null) => new(
        Interlocked.Read(ref _processedCount),
        Interlocked.Read(ref _failedCount),
        Interlocked.Read(ref _retriedCount),
        Interlocked.Read(ref _deadLetteredCount),
        Interlocked.Read(ref _rejectedCount),
        Interlocked.Read(ref _skippedCount),
        Interlocked.Read(ref _returnedCount),
        Interlocked.Read(ref _reclaimedCount),
        Interlocked.Read(ref _storeRetryCount),
        Interlocked.Read(ref _inFlightCount),
        Concurrency,
        queue,
        _jobLatency.Snapshot(),
        _pickupWindow.Snapshot());

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static KeyValuePair<string, object?> Tag(string type) => new("job.type", type);
}
