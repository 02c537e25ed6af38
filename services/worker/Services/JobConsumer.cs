using System.Collections.Concurrent;
using AgentSystem.Queue;
using AgentSystem.Worker.Options;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

/// <summary>
/// The claim loop. Holds at most <see cref="WorkerOptions.Concurrency"/> jobs and about
/// <see cref="WorkerOptions.MaxHeldMessageChars"/> of their messages: claims up to the free slots (at most
/// <see cref="WorkerOptions.ClaimBatchSize"/>) and the text left in one round trip, runs them concurrently; when a claim took
/// the last jobs waiting while jobs arrive often it claims again after <see cref="WorkerOptions.ClaimPause"/>, and otherwise
/// waits for an enqueue notification (or <see cref="WorkerOptions.IdlePoll"/>), never polling an empty queue in a loop.
/// On stop (SIGTERM) it claims nothing more, lets running jobs finish for <see cref="WorkerOptions.DrainTimeout"/>,
/// then cancels the rest and hands them back to the queue.
/// </summary>
public sealed partial class JobConsumer : BackgroundService
{
    private static readonly TimeSpan ClaimRetryFirst = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ClaimRetryMax = TimeSpan.FromSeconds(5);

    /// <summary>After the drain deadline, how long cancelled jobs get to be handed back before the worker stops waiting.</summary>
    public static readonly TimeSpan ReturnGrace = TimeSpan.FromSeconds(5);

    private readonly IJobQueue _queue;
    private readonly JobProcessor _processor;
    private readonly WorkerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<JobConsumer> _logger;
    private readonly WorkerOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private long _nextRun;
    private long _claimCalls;
    private long _startedInTurn;
    private long _heldChars;

    /// <summary>
    /// A wait shorter than this many pauses means jobs arrive often enough for the pause's claims to find them. Not two:
    /// on a saturated machine a wake-up itself waits for a core, and the worker fell back to wake-ups where the pause
    /// helped most (docs/load-history.md).
    /// </summary>
    private const int ShortWaitPauses = 5;

    /// <summary>How long a claim's jobs may start one after another on one thread before the rest go to the pool one by one.</summary>
    public static readonly TimeSpan InTurnBudget = TimeSpan.FromMilliseconds(1);

    /// <summary>How long the last wait for a wake-up lasted: the worker pauses between claims only while wake-ups come often.</summary>
    private TimeSpan _lastWait = TimeSpan.MaxValue;

    /// <summary>Set while the loop waits for held messages to shrink below the budget; the next job to end completes it.</summary>
    private TaskCompletionSource? _roomWaiter;

    public JobConsumer(
        IJobQueue queue,
        JobProcessor processor,
        WorkerMetrics metrics,
        IOptions<WorkerOptions> options,
        TimeProvider time,
        ILogger<JobConsumer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);

        _queue = queue;
        _processor = processor;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _slots = new SemaphoreSlim(_options.Concurrency, _options.Concurrency);
        metrics.Concurrency = _options.Concurrency;
    }

    /// <summary>Jobs claimed and not yet settled.</summary>
    public int Running => _running.Count;

    /// <summary>ClaimAsync calls so far (a test and diagnostics aid).</summary>
    public long ClaimCalls => Interlocked.Read(ref _claimCalls);

    /// <summary>Jobs started on their claim's work item rather than as a work item of their own (a test and diagnostics aid).</summary>
    public long StartedInTurn => Interlocked.Read(ref _startedInTurn);

    /// <summary>Characters of the messages of the jobs held now.</summary>
    public long HeldMessageChars => Interlocked.Read(ref _heldChars);

    private long Room => _options.MaxHeldMessageChars - Interlocked.Read(ref _heldChars);

    public override void Dispose()
    {
        _abort.Dispose();
        _slots.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_logger, _options.Concurrency, _options.ClaimBatchSize);
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        finally
        {
            await DrainAsync();
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stopping)
    {
        var retryDelay = ClaimRetryFirst;
        while (!stopping.IsCancellationRequested)
        {
            var wanted = await TakeFreeSlotsAsync(stopping);
            if (wanted == 0)
            {
                return;
            }

            var room = Room;
            if (room <= 0)
            {
                // Free slots, but the held messages fill the budget: claim again once a job has ended.
                _slots.Release(wanted);
                if (!await WaitForRoomAsync(stopping))
                {
                    return;
                }

                continue;
            }

            IReadOnlyList<ClaimedJob> claimed;
            try
            {
                // Not cancelled by the stop: a claim already made in Redis must come back here to be run or returned.
                // The queue counts UTF-8 bytes, at least the characters counted here: a claim stays within the room.
                Interlocked.Increment(ref _claimCalls);
                claimed = await _queue.ClaimAsync(wanted, (int)room, CancellationToken.None);
                retryDelay = ClaimRetryFirst;
            }
            catch (Exception error)
            {
                _slots.Release(wanted);
                LogClaimFailed(_logger, error, retryDelay);
                if (!await DelayAsync(retryDelay, stopping))
                {
                    return;
                }

                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, ClaimRetryMax.Ticks));
                continue;
            }

            if (claimed.Count < wanted)
            {
                _slots.Release(wanted - claimed.Count);
            }

            var now = _time.GetUtcNow();
            foreach (var job in claimed)
            {
                if (job.Message.EnqueuedAt is { } enqueuedAt)
                {
                    _metrics.RecordPickup(job.Message.Type, now - enqueuedAt);
                }
            }

            Run(claimed);

            if (claimed.Count < wanted && Room > 0)
            {
                if (claimed.Count > 0 && _lastWait < _options.ClaimPause * ShortWaitPauses)
                {
                    // Took the last jobs waiting, and wake-ups come about as often as the pause: claim again after a
                    // pause rather than register to be woken, so the jobs enqueued meanwhile come in one claim and their
                    // enqueues wake no one (a wake-up is a round trip to register, a message and a thread woken, for each
                    // small claim). Only a claim that finds nothing waits. At a lower rate the pause's claims would mostly
                    // find nothing, and cost more than the wake-ups they save (docs/load-history.md).
                    if (!await DelayAsync(_options.ClaimPause, stopping))
                    {
                        return;
                    }

                    continue;
                }

                // The queue is empty: sleep until an enqueue notification (or the fallback poll) says there may be
                // work, rather than claim again to find it empty. A notification that arrives before the wait starts
                // is kept by the signal, so none is missed. With no room left, the next round waits for a job to end.
                var waitStarted = _time.GetTimestamp();
                await WaitForWorkAsync(stopping);
                _lastWait = _time.GetElapsedTime(waitStarted);
            }
        }
    }

    // At least one free slot (waiting for one), plus every other free slot up to the batch size.
    private async Task<int> TakeFreeSlotsAsync(CancellationToken stopping)
    {
        try
        {
            await _slots.WaitAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }

        // SemaphoreSlim takes a cancelled waiter out of its list only in a continuation that runs later: a slot released
        // in between (a job finishing just after the stop) goes to the cancelled wait, which then succeeds.
        if (stopping.IsCancellationRequested)
        {
            _slots.Release();
            return 0;
        }

        var taken = 1;
        while (taken < _options.ClaimBatchSize && _slots.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        return taken;
    }

    private async Task<bool> WaitForRoomAsync(CancellationToken stopping)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _roomWaiter, waiter);
        if (Room > 0)
        {
            // A job ended between the check and the registration: its release may have found no waiter.
            Interlocked.CompareExchange(ref _roomWaiter, null, waiter);
            return true;
        }

        try
        {
            await waiter.Task.WaitAsync(stopping);
            return true;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Starts a claim's jobs from one thread-pool work item, one after another up to each job's first wait (a no-op or
    /// hash job runs to its result write in a few microseconds), rather than one work item per job: each hand-over to
    /// the pool can wake a thread, several microseconds each on these VMs, and the worker ran faster without them
    /// (docs/load-history.md). Once the claim's jobs have kept the thread past <see cref="InTurnBudget"/> in all (a handler
    /// computing synchronously), the jobs not yet started go to the pool one by one, so none waits long behind another.
    /// </summary>
    private void Run(IReadOnlyList<ClaimedJob> claimed)
    {
        var runs = claimed.Select(Prepare).ToArray();
        if (runs.Length > 0)
        {
            _ = Task.Run(() => StartInTurn(runs), CancellationToken.None);
        }
    }

    private void StartInTurn(Func<Task>[] runs)
    {
        var started = _time.GetTimestamp();
        var inTurn = 0;
        do
        {
            _ = runs[inTurn++]();
        }
        while (inTurn < runs.Length && _time.GetElapsedTime(started) <= InTurnBudget);

        Interlocked.Add(ref _startedInTurn, inTurn);
        foreach (var run in runs.AsSpan(inTurn))
        {
            _ = Task.Run(run, CancellationToken.None);
        }
    }

    /// <summary>Counts the job as held and running now, and returns its run, which settles it (never throws).</summary>
    private Func<Task> Prepare(ClaimedJob job)
    {
        Interlocked.Add(ref _heldChars, job.Raw.Length);
        var id = Interlocked.Increment(ref _nextRun);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[id] = gate.Task;
        return async () =>
        {
            try
            {
                await _processor.ProcessAsync(job, _abort.Token);
            }
            catch (Exception error)
            {
                LogJobCrashed(_logger, error, job.Message.JobId);
            }
            finally
            {
                _running.TryRemove(id, out _);
                Interlocked.Add(ref _heldChars, -job.Raw.Length);
                Interlocked.Exchange(ref _roomWaiter, null)?.TrySetResult();
                _slots.Release();
                gate.SetResult();
            }
        };
    }

    private async Task WaitForWorkAsync(CancellationToken stopping)
    {
        try
        {
            await _queue.WaitForWorkAsync(_options.IdlePoll, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            // Notifications unavailable (Redis down): fall back to polling at the idle interval.
            LogWaitFailed(_logger, error);
            await DelayAsync(_options.IdlePoll, stopping);
        }
    }

    private async Task DrainAsync()
    {
        var running = _running.Values.ToArray();
        if (running.Length == 0)
        {
            LogStopped(_logger);
            return;
        }

        LogDraining(_logger, running.Length, _options.DrainTimeout);
        var all = Task.WhenAll(running);
        try
        {
            await all.WaitAsync(_options.DrainTimeout, _time);
            LogDrained(_logger);
            return;
        }
        catch (TimeoutException)
        {
        }

        LogDrainDeadline(_logger, _running.Count);
        await _abort.CancelAsync();
        try
        {
            await all.WaitAsync(ReturnGrace, _time);
        }
        catch (TimeoutException)
        {
            LogReturnTimedOut(_logger, _running.Count);
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _time, stopping);
            return true;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer started: {Concurrency} jobs at a time, claims of up to {BatchSize}")]
    private static partial void LogStarted(ILogger logger, int concurrency, int batchSize);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming jobs failed; retrying in {Delay}")]
    private static partial void LogClaimFailed(ILogger logger, Exception error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for work failed; polling instead")]
    private static partial void LogWaitFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} crashed the worker's job loop; its lease will expire and it will be redelivered")]
    private static partial void LogJobCrashed(ILogger logger, Exception error, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: claiming no more jobs; {Running} running, allowed {DrainTimeout} to finish")]
    private static partial void LogDraining(ILogger logger, int running, TimeSpan drainTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped: every running job finished")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped: no job was running")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain deadline reached: cancelling {Running} jobs and returning them to the queue")]
    private static partial void LogDrainDeadline(ILogger logger, int running);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Running} jobs could not be returned in time; their leases will expire and the reclaimer requeues them")]
    private static partial void LogReturnTimedOut(ILogger logger, int running);
}
