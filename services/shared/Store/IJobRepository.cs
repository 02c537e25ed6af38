using AgentSystem.Contracts;

namespace AgentSystem.Store;

/// <summary>The worker's view of jobs. Every write is idempotent, so a job delivered twice counts once.</summary>
public interface IJobRepository
{
    /// <summary>Marks the job running (attempts = <paramref name="attempt"/>) unless it is cancelled or already final.</summary>
    Task<JobStart> StartAsync(Guid jobId, int attempt, CancellationToken cancellationToken);

    /// <summary>Records the result and rolls the task up, in one transaction; false when the job was already final.</summary>
    Task<bool> CompleteAsync(Guid jobId, string result, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failure: <see cref="JobState.Queued"/> when it will be retried, <see cref="JobState.Failed"/> or
    /// <see cref="JobState.Dead"/> when final (then the task rolls up); false when the job was already final.
    /// </summary>
    Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken);
}
