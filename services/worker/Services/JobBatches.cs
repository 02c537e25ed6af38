using AgentSystem.Queue;
using AgentSystem.Store;
using AgentSystem.Worker.Options;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

/// <summary>
/// The calls that every job makes, batched across the jobs running at once: the check that it may run and the result
/// to PostgreSQL (one statement per batch), the acknowledgement to Redis (one script call per batch), and the running
/// mark of a job that runs longer than <see cref="WorkerOptions.RunningMarkAfter"/>. Each job still waits for its own
/// outcome, so the order per job (result committed, then ack) holds.
/// </summary>
public sealed class JobBatches : IAsyncDisposable
{
    /// <summary>Longest one PostgreSQL write may take: a hung connection is abandoned and the write retried (it is idempotent).</summary>
    public static readonly TimeSpan StoreAttemptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Check and running-mark batches in flight, each: one, so that the connections the worker can hold (these two, the
    /// results' <see cref="WorkerOptions.WriteConcurrency"/> (2) and one for a failure write or the cancellation read)
    /// stay within its pool (<c>Postgres:MaxPoolSize</c>, 5; the budget in docs/architecture.md). A check is a read and
    /// marks are rare (long jobs), so one of each keeps up.
    /// </summary>
    public const int ChecksAndMarksInFlight = 1;

    /// <summary>Longest one Redis call may take.</summary>
    public static readonly TimeSpan QueueCallTimeout = TimeSpan.FromSeconds(5);

    public JobBatches(IJobRepository jobs, IJobQueue queue, IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        Checks = new Batcher<Guid, bool>(
            async (batch, ct) =>
            {
                var runnable = await jobs.FindRunnableAsync(batch, ct);
                return runnable.Contains;
            },
            settings.WriteBatchSize, ChecksAndMarksInFlight, StoreAttemptTimeout, "check jobs");
        Starts = new Batcher<JobAttempt, bool>(
            async (batch, ct) =>
            {
                var run = await jobs.StartAsync(batch, ct);
                return attempt => run.Contains(attempt.JobId);
            },
            settings.WriteBatchSize, ChecksAndMarksInFlight, StoreAttemptTimeout, "mark jobs running");
        Results = new Batcher<JobResult, bool>(
            async (batch, ct) =>
            {
                var recorded = await jobs.CompleteAsync(batch, ct);
                return result => recorded.Contains(result.JobId);
            },
            settings.WriteBatchSize, settings.WriteConcurrency, StoreAttemptTimeout, "store results");
        Acks = new Batcher<ClaimedJob, bool>(
            async (batch, ct) =>
            {
                await queue.AckAsync(batch, ct);
                return static _ => true;
            },
            IJobQueue.MaxBatch, settings.WriteConcurrency, QueueCallTimeout, "ack jobs");
    }

    /// <summary>True: the job may run; false: cancelled, final or unknown (skip it).</summary>
    public Batcher<Guid, bool> Checks { get; }

    /// <summary>Marks jobs running; false: cancelled, final or unknown meanwhile.</summary>
    public Batcher<JobAttempt, bool> Starts { get; }

    /// <summary>Stores results; true: recorded, false: the job was final already (a duplicate delivery).</summary>
    public Batcher<JobResult, bool> Results { get; }

    public Batcher<ClaimedJob, bool> Acks { get; }

    public async ValueTask DisposeAsync()
    {
        await Checks.DisposeAsync();
        await Starts.DisposeAsync();
        await Results.DisposeAsync();
        await Acks.DisposeAsync();
    }
}
