using AgentSystem.Contracts;

namespace AgentSystem.Store;

/// <summary>
/// The orchestrator's view of tasks and jobs. A call with an owner (<see cref="Contracts.Owner"/>) finds only that
/// owner's tasks; one with null, every task (a caller inside the cluster).
/// </summary>
public interface ITaskRepository
{
    /// <summary>
    /// Writes the tasks and all their jobs in one transaction, all or none. The jobs are queued and marked enqueued now:
    /// the caller sends them to Redis at once and unmarks those it could not send (<see cref="UnmarkEnqueuedAsync"/>);
    /// a caller that died in between leaves them to the dispatcher once they are stale. A task whose
    /// idempotency key an earlier task of its owner has (stored before, or earlier in <paramref name="tasks"/>) is not written: its
    /// result is that earlier task, <see cref="CreatedTask.Created"/> false. Results in the order of the tasks.
    /// </summary>
    Task<IReadOnlyList<CreatedTask>> CreateManyAsync(IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken);

    Task<TaskRecord?> GetAsync(Guid id, string? owner, CancellationToken cancellationToken);

    /// <summary>The task <paramref name="owner"/> ('' for none) stored with this idempotency key, or null.</summary>
    Task<TaskRecord?> GetByKeyAsync(string owner, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Whether the task exists and is <paramref name="owner"/>'s, without reading it.</summary>
    Task<bool> IsOwnedByAsync(Guid id, string owner, CancellationToken cancellationToken);

    /// <summary>Newest first; <paramref name="page"/> starts at 1.</summary>
    Task<TaskPage> ListAsync(TaskState? status, string? owner, int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>
    /// The tasks (with their jobs) among <paramref name="tasks"/> whose updated_at differs from the one given (null:
    /// any), each read with its jobs in one statement so that they agree. Unknown ids are left out. For the event streams.
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> GetChangedAsync(IReadOnlyCollection<TaskVersion> tasks, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels every job still queued or running and rolls the task up, in one transaction (a worker running one stops it
    /// when told). A task already final is left exactly as it is (<see cref="TaskCancellation.Changed"/> false). Null for
    /// an unknown id, or another owner's task (nothing is changed).
    /// </summary>
    Task<TaskCancellation?> CancelAsync(Guid id, string? owner, CancellationToken cancellationToken);

    /// <summary>Records that these jobs were sent to Redis (one statement).</summary>
    Task MarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);

    /// <summary>These jobs, if still queued, were not sent to Redis after all: the dispatcher's next round sends them.</summary>
    Task UnmarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);

    /// <summary>Queued jobs never enqueued, or enqueued longer ago than <paramref name="staleAfter"/>: the dispatcher's work.</summary>
    Task<IReadOnlyList<JobMessage>> FindUndispatchedAsync(TimeSpan staleAfter, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Jobs marked running more than <paramref name="runningFor"/> ago, in at most <paramref name="taskLimit"/> running tasks
    /// (oldest first) unchanged as long, each as its next delivery: a lease lives in Redis alone, so the dispatcher asks
    /// Redis which of these a worker still holds.
    /// </summary>
    Task<IReadOnlyList<JobMessage>> FindLongRunningAsync(TimeSpan runningFor, int taskLimit, CancellationToken cancellationToken);

    /// <summary>Those of these jobs still marked running.</summary>
    Task<IReadOnlySet<Guid>> WhichRunningAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes at most <paramref name="limit"/> final tasks, with their jobs, created and last changed before
    /// <paramref name="cutoff"/>, oldest first; returns how many. Tasks another caller is deleting at the same time are
    /// skipped, not waited for.
    /// </summary>
    Task<int> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);
}

public static class TaskRepositoryExtensions
{
    /// <summary>Writes one task and all its jobs in one transaction (<see cref="ITaskRepository.CreateManyAsync"/>).</summary>
    public static async Task<CreatedTask> CreateAsync(this ITaskRepository tasks, NewTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        return (await tasks.CreateManyAsync([task], cancellationToken).ConfigureAwait(false))[0];
    }

}
