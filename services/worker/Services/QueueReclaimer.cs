using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Store;
using AgentSystem.Worker.Options;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

/// <summary>
/// Every few seconds (a third of the visibility timeout, jittered so that replicas spread out), moves jobs whose lease
/// expired (their worker died or stalled) back to the queue, or to the dead-letter list after their last attempt. Every
/// worker runs one; the queue's script makes that safe. Jobs the reclaim dead-letters had no worker left to write their
/// row, so it marks them dead in PostgreSQL itself (idempotent: rows already final are left alone).
/// </summary>
public sealed partial class QueueReclaimer(
    IJobQueue queue,
    IJobRepository jobs,
    WorkerMetrics metrics,
    IOptions<WorkerOptions> options,
    IOptions<QueueOptions> queueOptions,
    TimeProvider time,
    ILogger<QueueReclaimer> logger) : BackgroundService
{
    private const int DeadLetterSyncMargin = 20;
    private const int DeadLetterSyncMax = 200;

    private long _runs;

    public long Runs => Interlocked.Read(ref _runs);

    public TimeSpan Interval => options.Value.ReclaimInterval ?? TimeSpan.FromTicks(queueOptions.Value.VisibilityTimeout.Ticks / 3);

    /// <summary>One reclaim pass; returns null when Redis did not answer.</summary>
    public async Task<ReclaimResult?> ReclaimOnceAsync(CancellationToken cancellationToken)
    {
        ReclaimResult result;
        try
        {
            result = await queue.ReclaimExpiredAsync(cancellationToken);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            LogReclaimFailed(logger, error);
            return null;
        }
        finally
        {
            Interlocked.Increment(ref _runs);
        }

        if (result.Requeued + result.DeadLettered == 0)
        {
            LogNothing(logger);
            return result;
        }

        LogReclaimed(logger, result.Requeued, result.DeadLettered);
        metrics.RecordReclaimed(result.Requeued, result.DeadLettered);
        if (result.DeadLettered > 0)
        {
            await SyncDeadLettersAsync(result.DeadLettered, cancellationToken);
        }

        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first pass soon after start (a restarted worker's own jobs come back quickly), spread over one interval.
        var delay = Interval * Random(0, 1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, time, stoppingToken);
                await ReclaimOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            delay = Interval * Random(0.8, 1.2);
        }
    }

    // The newest dead letters include the ones just moved (plus a margin for nacks of other workers meanwhile).
    private async Task SyncDeadLettersAsync(int deadLettered, CancellationToken cancellationToken)
    {
        try
        {
            var letters = await queue.GetDeadLettersAsync(Math.Min(deadLettered + DeadLetterSyncMargin, DeadLetterSyncMax), cancellationToken);
            var marked = 0;
            foreach (var letter in letters)
            {
                if (await jobs.RecordFailureAsync(letter.Message.JobId, letter.Error, JobState.Dead, cancellationToken))
                {
                    marked++;
                }
            }

            if (marked > 0)
            {
                LogMarkedDead(logger, marked);
            }
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            LogSyncFailed(logger, error);
        }
    }

#pragma warning disable CA5394 // Jitter to spread replicas; no cryptographic randomness needed.
    private static double Random(double from, double to) => from + (System.Random.Shared.NextDouble() * (to - from));
#pragma warning restore CA5394

    [LoggerMessage(Level = LogLevel.Information, Message = "Reclaimed expired leases: {Requeued} requeued, {DeadLettered} dead-lettered")]
    private static partial void LogReclaimed(ILogger logger, int requeued, int deadLettered);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reclaim: no expired lease")]
    private static partial void LogNothing(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reclaiming expired leases failed; trying again next interval")]
    private static partial void LogReclaimFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked {Count} reclaimed dead-lettered jobs dead in PostgreSQL")]
    private static partial void LogMarkedDead(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marking reclaimed dead-lettered jobs dead in PostgreSQL failed; the next reclaim that dead-letters retries")]
    private static partial void LogSyncFailed(ILogger logger, Exception error);
}
