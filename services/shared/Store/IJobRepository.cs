using AgentSystem.Contracts;

namespace AgentSystem.Store;

/// <summary>The worker's view of jobs. Every write is idempotent, so a job delivered twice counts once.</summary>
public interface IJobRepository
{
    /// <summary>
    /// Of these jobs, the ones that may run: known, and neither cancelled nor final. A read: it writes and locks nothing.
    /// </summary>
    Task<IReadOnlySet<Guid>> FindRunnableAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the jobs running (attempts at least the delivery's) unless cancelled, final or unknown, and rolls their
    /// tasks up, in one transaction. Returns the ids marked: the ones to run.
    /// </summary>
    Task<IReadOnlySet<Guid>> StartAsync(IReadOnlyCollection<JobAttempt> jobs, CancellationToken cancellationToken);

    /// <summary>
    /// Records the results (with the attempt, and the start time from the elapsed time when the job was never marked
    /// running) and rolls the tasks up, in one transaction. Returns the ids recorded; the others were already
    /// final (a duplicate delivery) or unknown, and nothing of them changed.
    /// </summary>
    Task<IReadOnlySet<Guid>> CompleteAsync(IReadOnlyCollection<JobResult> results, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failure: <see cref="JobState.Queued"/> when it will be retried, <see cref="JobState.Failed"/> or
    /// <see cref="JobState.Dead"/> when final (then the task rolls up); false when the job was already final.
    /// </summary>
    Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken);

    /// <summary>
    /// Marks <see cref="JobState.Dead"/> a job whose lease was lost with its worker on its last attempt, only while it
    /// is still running on that many <paramref name="attempts"/> (then the task rolls up); false when anything wrote it
    /// since it was read (a retry queued it again, a delivery ran it, it ended).
    /// </summary>
    Task<bool> MarkLostDeadAsync(Guid jobId, int attempts, string reason, CancellationToken cancellationToken);
}
