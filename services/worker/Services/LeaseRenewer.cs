using AgentSystem.Queue;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

/// <summary>
/// Keeps the leases of every job this worker holds, in one renewal call per interval for all of them (a third of the
/// visibility timeout: two renewals may fail before a lease runs out), including while a job waits for PostgreSQL.
/// When the queue says a lease was lost (reclaimed meanwhile, so another delivery exists), that <see cref="Lease"/>
/// turns <see cref="Lease.Lost"/> and is renewed no more: that delivery is no longer this worker's to settle.
/// </summary>
public sealed partial class LeaseRenewer : IAsyncDisposable
{
    private readonly IJobQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaseRenewer> _logger;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly HashSet<Lease> _held = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public LeaseRenewer(IJobQueue queue, IOptions<QueueOptions> options, TimeProvider time, ILogger<LeaseRenewer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this._queue = queue;
        this._time = time;
        this._logger = logger;
        _interval = Interval(options.Value);
    }

    /// <summary>A third of the visibility timeout.</summary>
    public static TimeSpan Interval(QueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, options.VisibilityTimeout.Ticks / 3));
    }

    /// <summary>Renews <paramref name="job"/>'s lease from now until the lease is stopped.</summary>
    public Lease Hold(ClaimedJob job)
    {
        var lease = new Lease(this, job);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _held.Add(lease);
            _loop ??= Task.Run(RenewLoopAsync);
        }

        return lease;
    }

    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (_gate)
        {
            running = _loop;
            _stop.Cancel();
        }

        if (running is not null)
        {
            await running;
        }

        _stop.Dispose();
    }

    /// <summary>No more renewals; waits for a renewal of it in flight, so <see cref="Lease.Lost"/> is settled.</summary>
    internal Task ReleaseAsync(Lease lease)
    {
        lock (_gate)
        {
            _held.Remove(lease);
            return lease.Round;
        }
    }

    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Lease[] leases;
                var round = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_gate)
                {
                    leases = [.. _held];
                    foreach (var lease in leases)
                    {
                        lease.Round = round.Task;
                    }
                }

                try
                {
                    await RenewAsync(leases);
                }
                finally
                {
                    round.SetResult();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task RenewAsync(Lease[] leases)
    {
        if (leases.Length == 0)
        {
            return;
        }

        try
        {
            var lost = (await _queue.RenewAsync([.. leases.Select(lease => lease.Job)], _stop.Token)).ToHashSet();
            foreach (var lease in leases)
            {
                if (lost.Contains(lease.Job))
                {
                    lease.Lost = true;
                    lock (_gate)
                    {
                        _held.Remove(lease);
                    }

                    LogLeaseLost(_logger, lease.Job.Message.JobId);
                }
                else
                {
                    lease.Renewals++;
                }
            }
        }
        catch (Exception error) when (error is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            // Redis unreachable for a moment: try again at the next tick, the leases have two more in hand.
            LogRenewFailed(_logger, error, leases.Length);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease of job {JobId} was lost (reclaimed meanwhile): the run finishes, its result counts once, and this delivery will not be acknowledged")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the leases of {Count} jobs failed; retrying at the next tick")]
    private static partial void LogRenewFailed(ILogger logger, Exception error, int count);
}

/// <summary>One held job's lease, renewed by the <see cref="LeaseRenewer"/> until stopped.</summary>
public sealed class Lease : IAsyncDisposable
{
    private readonly LeaseRenewer _renewer;
    private volatile bool _lost;
    private volatile Task _round = Task.CompletedTask;

    internal Lease(LeaseRenewer renewer, ClaimedJob job)
    {
        this._renewer = renewer;
        Job = job;
    }

    public ClaimedJob Job { get; }

    /// <summary>The queue said the lease was lost: another delivery of the job exists.</summary>
    public bool Lost
    {
        get => _lost;
        internal set => _lost = value;
    }

    public int Renewals { get; internal set; }

    /// <summary>The last renewal round that included this lease.</summary>
    internal Task Round
    {
        get => _round;
        set => _round = value;
    }

    /// <summary>Stops renewing (before the final ack or nack); <see cref="Lost"/> is settled when it returns.</summary>
    public Task StopAsync() => _renewer.ReleaseAsync(this);

    public async ValueTask DisposeAsync() => await StopAsync();
}
