using AgentSystem.Queue;

namespace AgentSystem.Worker.Services;

/// <summary>
/// Renews a claimed job's lease every <c>interval</c> (a third of the visibility timeout) while the worker holds it,
/// including while it retries a PostgreSQL write. When the queue says the lease was lost (reclaimed meanwhile, so
/// another delivery exists), <see cref="Lost"/> turns true and renewing stops: that delivery is no longer ours to ack.
/// </summary>
public sealed partial class LeaseKeeper : IAsyncDisposable
{
    private readonly IJobQueue _queue;
    private readonly ClaimedJob _job;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _lost;

    private LeaseKeeper(IJobQueue queue, ClaimedJob job, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _queue = queue;
        _job = job;
        _logger = logger;
        _loop = RenewLoopAsync(interval, time);
    }

    public bool Lost => _lost;

    public int Renewals { get; private set; }

    public static LeaseKeeper Start(IJobQueue queue, ClaimedJob job, TimeSpan interval, TimeProvider time, ILogger logger) =>
        new(queue, job, interval, time, logger);

    /// <summary>Stops renewing (before the final ack or nack, so a renewal cannot race it); <see cref="Lost"/> is then settled.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RenewLoopAsync(TimeSpan interval, TimeProvider time)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    if ((await _queue.RenewAsync([_job], _stop.Token)).Count > 0)
                    {
                        _lost = true;
                        LogLeaseLost(_logger, _job.Message.JobId);
                        return;
                    }

                    Renewals++;
                }
                catch (Exception error) when (error is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    // Redis unreachable for a moment: try again at the next tick, the lease has two more in hand.
                    LogRenewFailed(_logger, error, _job.Message.JobId);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease of job {JobId} was lost (reclaimed meanwhile): the run finishes, its result counts once, and this delivery will not be acknowledged")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease of job {JobId} failed; retrying at the next tick")]
    private static partial void LogRenewFailed(ILogger logger, Exception error, Guid jobId);
}
