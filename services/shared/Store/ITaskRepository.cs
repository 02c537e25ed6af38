using AgentSystem.Contracts;

namespace AgentSystem.Store;

/// <summary>The orchestrator's view of tasks and jobs.</summary>
public interface ITaskRepository
{
    /// <summary>Writes the task and all its jobs in one transaction (jobs queued, not yet enqueued).</summary>
    Task<CreatedTask> CreateAsync(NewTask task, CancellationToken cancellationToken);

    Task<TaskRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Newest first; <paramref name="page"/> starts at 1.</summary>
    Task<TaskPage> ListAsync(TaskState? status, int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>Cancels the jobs not yet started and rolls the task up; null for an unknown id.</summary>
    Task<TaskRecord?> CancelAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Records that these jobs were sent to Redis (one statement).</summary>
    Task MarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);

    /// <summary>Queued jobs never enqueued, or enqueued longer ago than <paramref name="staleAfter"/>: the dispatcher's work.</summary>
    Task<IReadOnlyList<JobMessage>> FindUndispatchedAsync(TimeSpan staleAfter, int limit, CancellationToken cancellationToken);
}
