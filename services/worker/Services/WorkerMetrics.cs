namespace AgentSystem.Worker.Services;

public sealed record MetricsSnapshot(long Processed, long Failed);

public sealed class WorkerMetrics
{
    private long _processed;
    private long _failed;

    public void RecordProcessed() => Interlocked.Increment(ref _processed);

    public void RecordFailed() => Interlocked.Increment(ref _failed);

    public MetricsSnapshot Snapshot() => new(Interlocked.Read(ref _processed), Interlocked.Read(ref _failed));
}
