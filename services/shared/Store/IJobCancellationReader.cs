namespace AgentSystem.Store;

/// <summary>The worker's fallback check for cancellations it was not told of (docs/queue.md, "Cancelling").</summary>
public interface IJobCancellationReader
{
    /// <summary>Which of these jobs are cancelled (one statement).</summary>
    Task<IReadOnlySet<Guid>> FindCancelledAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);
}
