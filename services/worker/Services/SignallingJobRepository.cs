using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Store;

namespace AgentSystem.Worker.Services;

/// <summary>
/// The store's job writes, each changed job announced on Redis once committed (a "task changed" signal naming the job),
/// so the orchestrator's event streams show it at once. Writes that changed nothing (a duplicate, a cancelled job) say
/// nothing.
/// </summary>
public sealed class SignallingJobRepository(IJobRepository store, ITaskSignals signals) : IJobRepository
{
    public Task<IReadOnlySet<Guid>> FindRunnableAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        store.FindRunnableAsync(jobIds, cancellationToken);

    public async Task<IReadOnlySet<Guid>> StartAsync(IReadOnlyCollection<JobAttempt> jobs, CancellationToken cancellationToken) =>
        Announce(await store.StartAsync(jobs, cancellationToken));

    public async Task<IReadOnlySet<Guid>> CompleteAsync(IReadOnlyCollection<JobResult> results, CancellationToken cancellationToken) =>
        Announce(await store.CompleteAsync(results, cancellationToken));

    public async Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken) =>
        Announce(jobId, await store.RecordFailureAsync(jobId, reason, newState, cancellationToken));

    public async Task<bool> MarkLostDeadAsync(Guid jobId, int attempts, string reason, CancellationToken cancellationToken) =>
        Announce(jobId, await store.MarkLostDeadAsync(jobId, attempts, reason, cancellationToken));

    private bool Announce(Guid jobId, bool changed)
    {
        if (changed)
        {
            signals.Publish(TaskSignal.Changed, jobId);
        }

        return changed;
    }

    private IReadOnlySet<Guid> Announce(IReadOnlySet<Guid> changed)
    {
        signals.Publish(TaskSignal.Changed, changed);

        return changed;
    }
}
