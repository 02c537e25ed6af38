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
    private readonly IJobQueue queue;
    private readonly TimeProvider time;
    private readonly ILogger<LeaseRenewer> logger;
    private readonly TimeSpan interval;
    private readonly Lock gate = new();
    private readonly HashSet<Lease> held = [];
    private readonly CancellationTokenSource stop = new();
    private Task? loop;

    public LeaseRenewer(IJobQueue queue, IOptions<QueueOptions> options, TimeProvider time, ILogger<LeaseRenewer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.queue = queue;
        this.time = time;
        this.logger = logger;
        interval = Interval(options.Value);
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
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(stop.IsCancellationRequested, this);
            held.Add(lease);
            loop ??= Task.Run(RenewLoopAsync);
        }

        return lease;
    }

    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (gate)
        {
            running = loop;
            stop.Cancel();
        }

        if (running is not null)
        {
            await running;
        }

        stop.Dispose();
    }

    /// <summary>No more renewals; waits for a renewal of it in flight, so <see cref="Lease.Lost"/> is settled.</summary>
    internal Task ReleaseAsync(Lease lease)
    {
        lock (gate)
        {
            held.Remove(lease);
            return lease.Round;
        }
    }

    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                Lease[] leases;
                var round = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (gate)
                {
                    leases = [.. held];
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
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
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
            var lost = (await queue.RenewAsync([.. leases.Select(lease => lease.Job)], stop.Token)).ToHashSet();
            foreach (var lease in leases)
            {
                if (lost.Contains(lease.Job))
                {
                    lease.Lost = true;
                    lock (gate)
                    {
                        held.Remove(lease);
                    }

                    LogLeaseLost(logger, lease.Job.Message.JobId);
                }
                else
                {
                    lease.Renewals++;
                }
            }
        }
        catch (Exception error) when (error is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            // Redis unreachable for a moment: try again at the next tick, the leases have two more in hand.
            LogRenewFailed(logger, error, leases.Length);
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
    private readonly LeaseRenewer renewer;
    private volatile bool lost;
    private volatile Task round = Task.CompletedTask;

    internal Lease(LeaseRenewer renewer, ClaimedJob job)
    {
        this.renewer = renewer;
        Job = job;
    }

    public ClaimedJob Job { get; }

    /// <summary>The queue said the lease was lost: another delivery of the job exists.</summary>
    public bool Lost
    {
        get => lost;
        internal set => lost = value;
    }

    public int Renewals { get; internal set; }

    /// <summary>The last renewal round that included this lease.</summary>
    internal Task Round
    {
        get => round;
        set => round = value;
    }

    /// <summary>Stops renewing (before the final ack or nack); <see cref="Lost"/> is settled when it returns.</summary>
    public Task StopAsync() => renewer.ReleaseAsync(this);

    public async ValueTask DisposeAsync() => await StopAsync();
}
