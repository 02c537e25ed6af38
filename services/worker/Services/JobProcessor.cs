using System.Diagnostics;
using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Store;
using AgentSystem.Worker.Options;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

/// <summary>
/// One claimed job from claim to acknowledgement (docs/queue.md, steps 3 to 7): check in PostgreSQL that it may run
/// (skip it when cancelled or already final; a side-effect-free job runs first and its guarded result write is the
/// check), run it, mark it running if it takes longer than
/// <see cref="WorkerOptions.RunningMarkAfter"/>, write the outcome, and only after that write committed ack or nack it
/// in Redis. The check, the mark, the result and the ack go through <see cref="JobBatches"/>, so the jobs running at
/// once share round trips, and a short job costs one PostgreSQL write; failures are rare and written one by one. PostgreSQL writes are retried with backoff for as long as it
/// takes, while the lease is renewed; Redis calls are retried a few times and otherwise left to the lease: an
/// unacknowledged job is reclaimed and redelivered, and the redelivery finds the job final and skips it.
/// </summary>
public sealed partial class JobProcessor(
    IJobQueue queue,
    IJobRepository jobs,
    JobBatches batches,
    LeaseRenewer leases,
    JobExecutor executor,
    WorkerMetrics metrics,
    IOptions<QueueOptions> queueOptions,
    IOptions<WorkerOptions> workerOptions,
    TimeProvider time,
    ILogger<JobProcessor> logger)
{
    public const string ReturnedReason = "Returned to the queue: the worker stopped before the job finished.";

    private static readonly TimeSpan StoreRetryFirst = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StoreRetryMax = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ReturnStoreTimeout = TimeSpan.FromSeconds(3);
    private const int QueueCallTries = 3;

    private static readonly Func<ILogger, Guid, Guid, string, int, IDisposable?> JobScope =
        LoggerMessage.DefineScope<Guid, Guid, string, int>("Job {JobId} of task {TaskId} ({JobType}, attempt {Attempt})");

    /// <param name="claimed">The job, leased to this worker.</param>
    /// <param name="abort">Cancelled at the end of the shutdown drain: stop, and hand the job back to the queue.</param>
    public async Task ProcessAsync(ClaimedJob claimed, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(claimed);

        var job = claimed.Message;
        var claimedAt = time.GetTimestamp();
        using var activity = WorkerTelemetry.StartJob(job);
        using var scope = JobScope(logger, job.JobId, job.TaskId, job.Type, job.Attempt);
        metrics.JobStarted(job.Type);
        var lease = leases.Hold(claimed);
        try
        {
            await RunAsync(claimed, lease, claimedAt, activity, abort);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Stopped while waiting for PostgreSQL: what was not committed will be done by the next delivery.
            await ReturnToQueueAsync(claimed, lease, activity);
        }
        finally
        {
            await lease.DisposeAsync();
            metrics.JobEnded(job.Type);
        }
    }

    private async Task RunAsync(ClaimedJob claimed, Lease lease, long claimedAt, Activity activity, CancellationToken abort)
    {
        var job = claimed.Message;

        // A side-effect-free job runs at once and its guarded result write is the check; a failure is checked before
        // it is written, so a cancelled job is never retried or counted as failed.
        var runsUnchecked = executor.RunsUnchecked(job);
        if (!runsUnchecked && !await MayRunAsync(claimed, lease, activity, abort))
        {
            return;
        }

        var started = time.GetTimestamp();
        var execution = executor.ExecuteAsync(job, abort);
        var marked = await MarkRunningIfLongAsync(job, started, execution, abort);
        var outcome = await execution;
        if (runsUnchecked && outcome.Kind is JobOutcomeKind.Rejected or JobOutcomeKind.Failed && !await MayRunAsync(claimed, lease, activity, abort))
        {
            return;
        }

        activity.SetTag("job.outcome", outcome.Kind.ToString().ToLowerInvariant());
        if (outcome.Error is { } error)
        {
            activity.SetStatus(ActivityStatusCode.Error, error);
        }

        switch (outcome.Kind)
        {
            case JobOutcomeKind.Succeeded:
                var result = new JobResult(job.JobId, outcome.Output ?? string.Empty, job.Attempt, time.GetElapsedTime(started));
                var counted = await StoreAsync("complete", job.JobId, ct => batches.Results.SubmitAsync(result, ct), abort);
                await AckAsync(claimed, lease);
                if (counted)
                {
                    metrics.RecordProcessed(job.Type, time.GetElapsedTime(claimedAt));
                }
                else
                {
                    // Delivered twice (a lease lost, a reclaim) and the other delivery's result stored first, or cancelled
                    // while it ran unchecked.
                    LogDuplicate(logger, job.JobId);
                    metrics.RecordSkipped();
                    activity.SetTag("job.outcome", "skipped");
                }

                break;

            case JobOutcomeKind.Rejected:
                await MarkRunningAsync(job, started, marked, abort);
                await StoreAsync("fail", job.JobId, Bounded(ct => jobs.RecordFailureAsync(job.JobId, outcome.Error!, JobState.Failed, ct)), abort);
                await AckAsync(claimed, lease);
                metrics.RecordRejected(job.Type);
                break;

            case JobOutcomeKind.Failed:
                await MarkRunningAsync(job, started, marked, abort);
                await FailAttemptAsync(claimed, lease, outcome.Error!, abort);
                break;

            case JobOutcomeKind.Aborted:
                await ReturnToQueueAsync(claimed, lease, activity);
                break;

            case JobOutcomeKind.Cancelled:
                // The cancel made the row final: nothing to write, and no nack (that would retry or dead-letter it).
                LogCancelled(logger, job.JobId);
                await AckAsync(claimed, lease);
                break;

            default:
                throw new UnreachableException($"Unknown outcome {outcome.Kind}.");
        }
    }

    /// <summary>Asks PostgreSQL whether the job may run (not cancelled, not final); if not, acknowledges it as skipped.</summary>
    private async Task<bool> MayRunAsync(ClaimedJob claimed, Lease lease, Activity activity, CancellationToken abort)
    {
        var jobId = claimed.Message.JobId;
        if (await StoreAsync("check", jobId, ct => batches.Checks.SubmitAsync(jobId, ct), abort))
        {
            return true;
        }

        LogSkipped(logger, jobId);
        metrics.RecordSkipped();
        activity.SetTag("job.outcome", "skipped");
        await AckAsync(claimed, lease);
        return false;
    }

    /// <summary>
    /// Waits up to <see cref="WorkerOptions.RunningMarkAfter"/> for the run; still running then, it is marked running (a
    /// job cancelled or final meanwhile runs on: the cancellation listener stops a cancelled one, and the guarded
    /// result write ignores a duplicate). Returns whether it was marked. A stop meanwhile marks nothing: the run ends
    /// with the stop and is handed back by its outcome.
    /// </summary>
    private async Task<bool> MarkRunningIfLongAsync(JobMessage job, long started, Task<JobOutcome> execution, CancellationToken abort)
    {
        var after = workerOptions.Value.RunningMarkAfter;
        if (after > TimeSpan.Zero && !execution.IsCompleted)
        {
            await Task.WhenAny(execution, Task.Delay(after, time, abort));
        }

        if (execution.IsCompleted || abort.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            await MarkRunningAsync(job, started, marked: false, abort);
            return true;
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The running mark, which also records the attempt and the start (<paramref name="started"/>, a timestamp of
    /// <see cref="TimeProvider"/>): made before a failure is written, since a failure write records neither (failures
    /// are rare, so the extra write costs little).
    /// </summary>
    private Task MarkRunningAsync(JobMessage job, long started, bool marked, CancellationToken abort) =>
        marked ? Task.CompletedTask : StoreAsync("start", job.JobId,
            ct => batches.Starts.SubmitAsync(new JobAttempt(job.JobId, job.Attempt, time.GetElapsedTime(started)), ct), abort);

    // PostgreSQL first (queued for a retry, dead after the last attempt), then the nack that makes Redis agree. A crash
    // in between leaves the lease to expire, and the reclaimer then does what the nack would have done.
    private async Task FailAttemptAsync(ClaimedJob claimed, Lease lease, string error, CancellationToken abort)
    {
        var job = claimed.Message;
        if (lease.Lost)
        {
            // The reclaimer already requeued (or dead-lettered) this delivery and another worker may hold it now: leave
            // the row and the queue to that delivery.
            metrics.RecordFailed(job.Type, retried: true);
            return;
        }

        var last = job.Attempt >= queueOptions.Value.MaxAttempts;
        await StoreAsync("fail", job.JobId, Bounded(ct => jobs.RecordFailureAsync(job.JobId, error, last ? JobState.Dead : JobState.Queued, ct)), abort);

        await lease.StopAsync();
        if (lease.Lost)
        {
            metrics.RecordFailed(job.Type, retried: true);
            return;
        }

        var nacked = await QueueCallAsync("nack", job.JobId, ct => queue.NackAsync(claimed, error, ct));
        if (nacked is { Done: true, Value: NackOutcome.DeadLettered } && !last)
        {
            // The queue counts attempts its own way (a reclaim added one): follow it, the row must not stay queued.
            // Settled in Redis already, so a stop here must not hand the job back: the reclaimer's dead-letter sync
            // writes the row instead.
            last = true;
            try
            {
                await StoreAsync("dead-letter", job.JobId, Bounded(ct => jobs.RecordFailureAsync(job.JobId, error, JobState.Dead, ct)), abort);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
            }
        }
        else if (nacked is { Done: true, Value: NackOutcome.Requeued } && last)
        {
            LogAttemptsDisagree(logger, job.JobId, job.Attempt, queueOptions.Value.MaxAttempts);
        }

        if (last)
        {
            LogDeadLettered(logger, job.JobId, job.Attempt, error);
        }

        metrics.RecordFailed(job.Type, retried: !last);
    }

    /// <summary>
    /// Shutdown: hand the job back without spending an attempt. The row goes back to queued first (so the orchestrator's
    /// dispatcher re-sends it should anything below be lost), then ack and enqueue the same message again, which wakes
    /// another worker at once. IJobQueue has no "requeue as is", and nack would count an attempt (and dead-letter a job
    /// on its last one), so nack is only the fallback for when PostgreSQL cannot be written.
    /// </summary>
    private async Task ReturnToQueueAsync(ClaimedJob claimed, Lease lease, Activity activity)
    {
        var job = claimed.Message;
        await lease.StopAsync();
        activity.SetTag("job.outcome", "returned");
        if (lease.Lost)
        {
            return;
        }

        metrics.RecordReturned(job.Type);
        bool recorded;
        try
        {
            using var timeout = new CancellationTokenSource(ReturnStoreTimeout, time);
            recorded = await jobs.RecordFailureAsync(job.JobId, ReturnedReason, JobState.Queued, timeout.Token);
        }
        catch (Exception error)
        {
            LogReturnByNack(logger, error, job.JobId);
            await QueueCallAsync("nack", job.JobId, ct => queue.NackAsync(claimed, ReturnedReason, ct));
            return;
        }

        if (!recorded)
        {
            // Already final (its result was committed just before the stop): nothing to return, only to acknowledge.
            await QueueCallAsync("ack", job.JobId, async ct => { await batches.Acks.SubmitAsync(claimed, ct); return true; }, batched: true);
            return;
        }

        LogReturned(logger, job.JobId, job.Attempt);
        var acked = await QueueCallAsync("ack", job.JobId, async ct => { await batches.Acks.SubmitAsync(claimed, ct); return true; }, batched: true);
        if (acked.Done)
        {
            await QueueCallAsync("requeue", job.JobId, ct => queue.EnqueueAsync([job with { EnqueuedAt = time.GetUtcNow() }], ct));
        }
    }

    private async Task AckAsync(ClaimedJob claimed, Lease lease)
    {
        await lease.StopAsync();
        if (lease.Lost)
        {
            // Not ours any more: the other delivery finds the job final, skips it and acks it itself.
            return;
        }

        await QueueCallAsync("ack", claimed.Message.JobId, async ct => { await batches.Acks.SubmitAsync(claimed, ct); return true; }, batched: true);
    }

    /// <summary>
    /// Retries a PostgreSQL write with exponential backoff (100 ms to 5 s, jittered) until it commits or the worker gives
    /// up. Each attempt is bounded: by its batcher, or by <see cref="Bounded"/> for a write made alone.
    /// </summary>
    private async Task<T> StoreAsync<T>(string operation, Guid jobId, Func<CancellationToken, Task<T>> write, CancellationToken abort)
    {
        var delay = StoreRetryFirst;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write(abort);
            }
            catch (Exception error) when (error is not OperationCanceledException || !abort.IsCancellationRequested)
            {
                metrics.RecordStoreRetry();
                if (attempt == 1 || attempt % 10 == 0)
                {
                    LogStoreRetry(logger, error, operation, jobId, attempt, delay);
                }

                await Task.Delay(Jitter(delay), time, abort);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, StoreRetryMax.Ticks));
            }
        }
    }

    /// <summary>A write made alone (not batched), bounded to <see cref="JobBatches.StoreAttemptTimeout"/> per attempt.</summary>
    private static Func<CancellationToken, Task<T>> Bounded<T>(Func<CancellationToken, Task<T>> write) => async abort =>
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(abort);
        attempt.CancelAfter(JobBatches.StoreAttemptTimeout);
        return await write(attempt.Token);
    };

    /// <summary>
    /// A few tries, each bounded (by the ack batcher for acks, else here); never throws. Not done: the lease expires and
    /// the reclaimer takes over.
    /// </summary>
    private async Task<(bool Done, T? Value)> QueueCallAsync<T>(string operation, Guid jobId, Func<CancellationToken, Task<T>> call, bool batched = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (batched)
                {
                    return (true, await call(CancellationToken.None));
                }

                using var timeout = new CancellationTokenSource(JobBatches.QueueCallTimeout, time);
                return (true, await call(timeout.Token));
            }
            catch (Exception error)
            {
                if (attempt >= QueueCallTries)
                {
                    LogQueueCallFailed(logger, error, operation, jobId, attempt);
                    return (false, default);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time);
            }
        }
    }

#pragma warning disable CA5394 // Jitter spreads retries of many workers; it needs no cryptographic randomness.
    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.75 + (Random.Shared.NextDouble() * 0.5));
#pragma warning restore CA5394

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} stopped: its task was cancelled; acknowledged, not retried")]
    private static partial void LogCancelled(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} is cancelled or already final: acknowledged, nothing written")]
    private static partial void LogSkipped(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} was cancelled or already final when its result was written (a duplicate delivery): result dropped, counted once")]
    private static partial void LogDuplicate(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} dead-lettered after attempt {Attempt}: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, Guid jobId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} failed attempt {Attempt} of {MaxAttempts} and is final in PostgreSQL, but the queue requeued it; the redelivery will skip it")]
    private static partial void LogAttemptsDisagree(ILogger logger, Guid jobId, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL write '{Operation}' for job {JobId} failed (try {Attempt}); retrying in about {Delay} while keeping the lease")]
    private static partial void LogStoreRetry(ILogger logger, Exception error, string operation, Guid jobId, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis '{Operation}' for job {JobId} failed {Attempt} times; the lease will expire and the reclaimer takes over")]
    private static partial void LogQueueCallFailed(ILogger logger, Exception error, string operation, Guid jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} returned to the queue unfinished (attempt {Attempt} not spent)")]
    private static partial void LogReturned(ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} could not be marked queued in PostgreSQL at shutdown; nacked instead (this costs it an attempt)")]
    private static partial void LogReturnByNack(ILogger logger, Exception error, Guid jobId);
}
