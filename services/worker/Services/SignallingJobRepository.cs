using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Store;

namespace AgentSystem.Worker.Services;

/// <summary>
/// The store's job writes, each announced on Redis once committed (a "task changed" signal naming the job), so the
/// orchestrator's event streams show it at once. Writes that changed nothing (a duplicate, a cancelled job) say nothing.
/// </summary>
public sealed class SignallingJobRepository(IJobRepository store, ITaskSignals signals) : IJobRepository
{
    public async Task<JobStart> StartAsync(Guid jobId, int attempt, CancellationToken cancellationToken)
    {
        var start = await store.StartAsync(jobId, attempt, cancellationToken);
        Announce(start == JobStart.Run, jobId);
        return start;
    }

    public async Task<bool> CompleteAsync(Guid jobId, string result, CancellationToken cancellationToken) =>
        Announce(await store.CompleteAsync(jobId, result, cancellationToken), jobId);

    public async Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken) =>
        Announce(await store.RecordFailureAsync(jobId, reason, newState, cancellationToken), jobId);

    private bool Announce(bool changed, Guid jobId)
    {
        if (changed)
        {
            signals.Publish(TaskSignal.Changed, jobId);
        }

        return changed;
    }
}
