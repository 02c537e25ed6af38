using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

/// <summary>
/// Stops the running jobs of cancelled tasks (docs/queue.md, "Cancelling"). <c>DELETE /tasks/{id}</c> marks the jobs
/// cancelled in PostgreSQL, then publishes the task id; every worker hears it and cancels the token of each job of that
/// task it runs (<see cref="Watch"/>), so the handler stops within moments. A signal lost while Redis was away is made up
/// for by asking PostgreSQL, at every lease renewal interval (a third of the visibility timeout) and after Redis comes
/// back, which of the running jobs are cancelled. A task heard of just before its job is watched is remembered for a
/// while, so that job stops at once too.
/// </summary>
public sealed partial class CancellationListener(
    ITaskSignals signals,
    IJobCancellationReader store,
    IOptions<QueueOptions> queueOptions,
    TimeProvider time,
    ILogger<CancellationListener> logger) : BackgroundService
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, (Guid TaskId, CancellationTokenSource Cancel)> _running = [];
    private readonly Dictionary<Guid, long> _recentlyCancelled = [];
    private TaskCompletionSource _checkNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How often the store is asked: as often as leases are renewed.</summary>
    public TimeSpan CheckInterval => LeaseRenewer.Interval(queueOptions.Value);

    /// <summary>Watches a job while it runs: its token is cancelled when its task is. Dispose when the run ends.</summary>
    public JobWatch Watch(JobMessage job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var cancel = new CancellationTokenSource();
        bool known;
        lock (_gate)
        {
            known = _recentlyCancelled.ContainsKey(job.TaskId);
            _running[job.JobId] = (job.TaskId, cancel);
        }

        if (known)
        {
            LogStopping(logger, job.JobId, job.TaskId);
            cancel.Cancel();
        }

        return new JobWatch(this, job.JobId, cancel);
    }

    /// <summary>The task was cancelled: stop every job of it running here (and any watched soon after).</summary>
    public void CancelTask(Guid taskId)
    {
        List<(Guid, CancellationTokenSource)> stopping;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            foreach (var old in _recentlyCancelled.Where(r => time.GetElapsedTime(r.Value, now) > Remembered).Select(r => r.Key).ToList())
            {
                _recentlyCancelled.Remove(old);
            }

            _recentlyCancelled[taskId] = now;
            stopping = [.. _running.Where(r => r.Value.TaskId == taskId).Select(r => (r.Key, r.Value.Cancel))];
        }

        Stop(stopping, taskId);
    }

    /// <summary>Asks the store which running jobs are cancelled, and stops those; returns how many it stopped.</summary>
    public async Task<int> CheckStoreAsync(CancellationToken cancellationToken)
    {
        Dictionary<Guid, (Guid TaskId, CancellationTokenSource Cancel)> running;
        lock (_gate)
        {
            running = _running.Where(r => !r.Value.Cancel.IsCancellationRequested).ToDictionary();
        }

        if (running.Count == 0)
        {
            return 0;
        }

        var cancelled = await store.FindCancelledAsync(running.Keys, cancellationToken).ConfigureAwait(false);
        foreach (var jobId in cancelled)
        {
            Stop([(jobId, running[jobId].Cancel)], running[jobId].TaskId);
        }

        return cancelled.Count;
    }

    internal void Release(Guid jobId)
    {
        lock (_gate)
        {
            _running.Remove(jobId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = await signals.SubscribeAsync(TaskSignal.Cancelled, CancelTask, CheckSoon, stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            Task checkNow;
            lock (_gate)
            {
                checkNow = _checkNow.Task;
            }

            try
            {
                await checkNow.WaitAsync(CheckInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            lock (_gate)
            {
                if (_checkNow.Task.IsCompleted)
                {
                    _checkNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            try
            {
                await CheckStoreAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                // PostgreSQL away: the jobs' own writes wait for it too; try again at the next interval.
                LogCheckFailed(logger, error);
            }
        }
    }

    // Redis came back: cancellations published meanwhile are lost, ask the store now.
    private void CheckSoon()
    {
        lock (_gate)
        {
            _checkNow.TrySetResult();
        }
    }

    private void Stop(List<(Guid JobId, CancellationTokenSource Cancel)> jobs, Guid taskId)
    {
        foreach (var (jobId, cancel) in jobs)
        {
            LogStopping(logger, jobId, taskId);
            try
            {
                // Callbacks (the handler's continuation among them) run elsewhere, not on Redis's thread.
                _ = cancel.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // The run ended meanwhile.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: its task {TaskId} was cancelled; stopping it")]
    private static partial void LogStopping(ILogger logger, Guid jobId, Guid taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask PostgreSQL which running jobs were cancelled; trying again at the next interval")]
    private static partial void LogCheckFailed(ILogger logger, Exception error);
}

/// <summary>A running job's cancellation by request, from <see cref="CancellationListener.Watch"/>.</summary>
public sealed class JobWatch : IDisposable
{
    private readonly CancellationListener _owner;
    private readonly Guid _jobId;
    private readonly CancellationTokenSource _cancel;

    internal JobWatch(CancellationListener owner, Guid jobId, CancellationTokenSource cancel)
    {
        _owner = owner;
        _jobId = jobId;
        _cancel = cancel;
    }

    /// <summary>Cancelled when the job's task is.</summary>
    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        _owner.Release(_jobId);
        _cancel.Dispose();
    }
}
