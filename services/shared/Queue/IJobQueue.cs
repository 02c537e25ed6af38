using AgentSystem.Contracts;

namespace AgentSystem.Queue;

/// <summary>
/// The job queue's fast path (docs/queue.md): at-least-once delivery with leases. PostgreSQL stays the source of
/// truth; every method is one round trip to Redis for a batch of up to <see cref="MaxBatch"/> jobs (larger batches
/// are split into calls of that size, sent together).
/// </summary>
public interface IJobQueue
{
    /// <summary>Jobs one script call handles at most (Lua's stack bounds how many arguments one Redis command takes).</summary>
    const int MaxBatch = 1000;

    /// <summary>Enqueues the messages not already queued or in processing (idempotent per job id) and wakes workers.</summary>
    Task<int> EnqueueAsync(IReadOnlyCollection<JobMessage> jobs, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="max"/> jobs (at most <see cref="MaxBatch"/>), an equal part from each client with jobs
    /// waiting (<see cref="JobMessage.Client"/>), first in first out within a client, each leased for the visibility timeout.
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="ClaimAsync(int, CancellationToken)"/>, stopping before a message that would take the claim's stored
    /// messages past <paramref name="maxBytes"/> (UTF-8); the first is taken whatever its size, so none is stuck.
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, int maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Done: removes the jobs from processing. Call only after their results are committed. Returns how many leases were
    /// still held (a lost lease means the job was reclaimed: its other delivery settles it).
    /// </summary>
    Task<int> AckAsync(IReadOnlyCollection<ClaimedJob> jobs, CancellationToken cancellationToken);

    /// <summary>Failed: back to the queue with attempt + 1, or to the dead-letter list when attempts are used up.</summary>
    Task<NackOutcome> NackAsync(ClaimedJob job, string reason, CancellationToken cancellationToken);

    /// <summary>Extends the leases of jobs still held; returns those whose lease was lost (reclaimed meanwhile).</summary>
    Task<IReadOnlyList<ClaimedJob>> RenewAsync(IReadOnlyCollection<ClaimedJob> jobs, CancellationToken cancellationToken);

    /// <summary>Moves jobs whose lease expired back to the queue (or dead-letters them); safe to run from every worker.</summary>
    Task<ReclaimResult> ReclaimExpiredAsync(CancellationToken cancellationToken);

    /// <summary>Which of these job ids Redis holds (queued or in processing): the dispatcher re-sends the others.</summary>
    Task<IReadOnlySet<Guid>> FindKnownAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);

    Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int max, CancellationToken cancellationToken);

    /// <summary>
    /// Waits, registered as idle, until an enqueue wakes this waiter (each enqueue wakes one idle waiter) or
    /// <paramref name="timeout"/> passes; returns at once when jobs are waiting. Call it after a short claim.
    /// </summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>A claimed job. <see cref="Raw"/> is the exact stored message, which ack, nack and renew need.</summary>
public sealed record ClaimedJob(JobMessage Message, string Raw, DateTimeOffset LeaseDeadline);

public enum NackOutcome { Requeued, DeadLettered }

public sealed record ReclaimResult(int Requeued, int DeadLettered)
{
    /// <summary>
    /// The messages this call dead-lettered (their last attempt's lease expired), so the caller can mark their rows
    /// dead in PostgreSQL: nobody else learns of them (no worker nacks them, and the dispatcher looks at queued rows only).
    /// </summary>
    public IReadOnlyList<JobMessage> DeadLetters { get; init; } = [];

    /// <summary>Value equality, the dead letters compared item by item.</summary>
    public bool Equals(ReclaimResult? other) =>
        other is not null && Requeued == other.Requeued && DeadLettered == other.DeadLettered && DeadLetters.SequenceEqual(other.DeadLetters);

    public override int GetHashCode() => HashCode.Combine(Requeued, DeadLettered, DeadLetters.Count);
}

/// <param name="DeadLettered">The dead-letter list's length: at most <see cref="RedisJobQueue.DeadLettersKept"/>.</param>
public sealed record QueueStats(long Queued, long Processing, long DeadLettered);

public sealed record DeadLetter(JobMessage Message, string Error, DateTimeOffset At);
