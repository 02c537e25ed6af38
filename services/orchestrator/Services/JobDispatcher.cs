using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Services;

/// <summary>What one dispatcher round did.</summary>
/// <param name="Found">Queued jobs never sent, or sent longer ago than StaleAfter.</param>
/// <param name="AlreadyQueued">Of those, the ones Redis still held (only marked).</param>
/// <param name="Sent">Of those, the ones sent to Redis again.</param>
/// <param name="LostRunning">Jobs marked running long ago that Redis held neither queued nor leased, sent again.</param>
/// <param name="LostDead">Such jobs on their last attempt, marked dead as the reclaimer would have.</param>
public sealed record DispatchResult(int Found, int AlreadyQueued, int Sent, int LostRunning = 0, int LostDead = 0)
{
    public static readonly DispatchResult None = new(0, 0, 0);

    public DispatchResult Add(DispatchResult other) =>
        new(Found + (other?.Found ?? 0), AlreadyQueued + (other?.AlreadyQueued ?? 0), Sent + (other?.Sent ?? 0),
            LostRunning + (other?.LostRunning ?? 0), LostDead + (other?.LostDead ?? 0));
}

/// <summary>
/// Re-sends the jobs stored but not queued (docs/queue.md): at start and every <c>Dispatcher:Interval</c> it reads
/// them from PostgreSQL, asks Redis which it holds, enqueues the others and marks them all enqueued. It repairs a
/// crash between commit and enqueue, a failed enqueue (Redis down while a task was posted), and a Redis that lost
/// writes or was flushed. Then it asks Redis about the jobs marked running long ago: one whose lease Redis lost while
/// its worker died too would otherwise never run again. A failed round is logged and the next one tries again. Several
/// orchestrators may run it at once: enqueue is idempotent per job id.
/// </summary>
public sealed partial class JobDispatcher(
    ITaskRepository tasks,
    IJobRepository jobs,
    IJobQueue queue,
    ITaskSignals signals,
    IOptions<DispatcherOptions> options,
    IOptions<QueueOptions> queueOptions,
    TimeProvider time,
    ILogger<JobDispatcher> logger) : BackgroundService
{
    /// <summary>One round: batches until the store has no more work (or MaxBatchesPerRound). Throws when a call fails.</summary>
    public async Task<DispatchResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var total = DispatchResult.None;
        for (var batch = 0; batch < settings.MaxBatchesPerRound; batch++)
        {
            var found = await tasks.FindUndispatchedAsync(settings.StaleAfter, settings.BatchSize, cancellationToken);
            if (found.Count == 0)
            {
                break;
            }

            total = total.Add(await DispatchAsync(found, settings, cancellationToken));
            if (found.Count < settings.BatchSize)
            {
                break;
            }
        }

        if (total.Found > 0)
        {
            LogRound(logger, total.Found, total.Sent, total.AlreadyQueued);
        }

        var (resent, dead) = await ResendLostRunningAsync(settings, cancellationToken);
        return total with { LostRunning = resent, LostDead = dead };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        var interval = options.Value.Interval;
        await Rounds.RunAsync(interval, time, RunOnceAsync, error => LogRoundFailed(logger, interval, error), stoppingToken);
    }

    private async Task<DispatchResult> DispatchAsync(IReadOnlyList<JobMessage> found, DispatcherOptions settings, CancellationToken cancellationToken)
    {
        var ids = found.Select(job => job.JobId).ToList();
        var known = await queue.FindKnownAsync(ids, cancellationToken).WaitAsync(settings.QueueTimeout, time, cancellationToken);

        var now = time.GetUtcNow();
        var missing = found.Where(job => !known.Contains(job.JobId)).Select(job => job with { EnqueuedAt = now }).ToList();
        if (missing.Count > 0)
        {
            await queue.EnqueueAsync(missing, cancellationToken).WaitAsync(settings.QueueTimeout, time, cancellationToken);
        }

        // Those Redis held are marked too: they are on their way, not lost.
        await tasks.MarkEnqueuedAsync(ids, cancellationToken);
        return new DispatchResult(found.Count, found.Count - missing.Count, missing.Count);
    }

    /// <summary>
    /// Sends again the jobs marked running long ago that Redis holds neither queued nor leased: their worker died and
    /// Redis lost the lease (a crash inside its one-second AOF window, a flush), so no reclaimer would ever see them.
    /// Their rows stay running until a worker writes them again; the guarded result write counts each once. One on its
    /// last attempt is marked dead instead, as the reclaimer marks a job whose last lease expired (docs/queue.md, step 5).
    /// </summary>
    private async Task<(int Resent, int Dead)> ResendLostRunningAsync(DispatcherOptions settings, CancellationToken cancellationToken)
    {
        var running = await tasks.FindLongRunningAsync(settings.StaleAfter, settings.BatchSize, cancellationToken);
        if (running.Count == 0)
        {
            return (0, 0);
        }

        var known = await queue.FindKnownAsync([.. running.Select(job => job.JobId)], cancellationToken)
            .WaitAsync(settings.QueueTimeout, time, cancellationToken);
        var unknown = running.Where(job => !known.Contains(job.JobId)).ToList();
        if (unknown.Count == 0)
        {
            return (0, 0);
        }

        // Read again once Redis has answered: a job that ended meanwhile was written final before its ack took it out.
        var still = await tasks.WhichRunningAsync([.. unknown.Select(job => job.JobId)], cancellationToken);
        var now = time.GetUtcNow();
        var maxAttempts = queueOptions.Value.MaxAttempts;
        var lost = unknown.Where(job => still.Contains(job.JobId)).ToLookup(job => job.Attempt > maxAttempts);
        var resend = lost[false].Select(job => job with { EnqueuedAt = now }).ToList();
        if (resend.Count > 0)
        {
            await queue.EnqueueAsync(resend, cancellationToken).WaitAsync(settings.QueueTimeout, time, cancellationToken);
            LogLostRunning(logger, resend.Count, resend[0].JobId);
        }

        var dead = new List<Guid>();
        foreach (var job in lost[true])
        {
            var ranOn = job.Attempt - 1;   // the attempt the lost worker ran: the message read is its next delivery
            var reason = $"its lease was lost with its worker on attempt {ranOn} of {maxAttempts} (Redis held it neither queued nor leased)";
            if (await jobs.MarkLostDeadAsync(job.JobId, ranOn, reason, cancellationToken))
            {
                LogLostDead(logger, job.JobId, ranOn, maxAttempts);
                dead.Add(job.JobId);
            }
        }

        // As a worker announces a job it ended: the task's event streams show it now, not at their next resync.
        signals.Publish(TaskSignal.Changed, dead);
        return (resend.Count, dead.Count);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Dispatcher: {Found} undispatched jobs, {Sent} sent to the queue, {AlreadyQueued} already there")]
    private static partial void LogRound(ILogger logger, int found, int sent, int alreadyQueued);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Dispatcher: {Count} running jobs that Redis held neither queued nor leased (their worker and lease both lost) sent again, the first {JobId}")]
    private static partial void LogLostRunning(ILogger logger, int count, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Dispatcher: job {JobId}, running on attempt {Attempt} of {MaxAttempts}, Redis held neither queued nor leased: marked dead, as the reclaimer would have")]
    private static partial void LogLostDead(ILogger logger, Guid jobId, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dispatcher disabled (Dispatcher:Enabled is false): jobs Redis did not take wait for another orchestrator")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatcher round failed; the next one, in {Interval}, tries again")]
    private static partial void LogRoundFailed(ILogger logger, TimeSpan interval, Exception error);
}
