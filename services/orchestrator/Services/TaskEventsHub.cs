using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Queue;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Services;

/// <summary>
/// The one listener of the process behind every <c>GET /tasks/{id}/events</c> stream, so a stream holds no database
/// connection: it hears the "task changed" signals on Redis (a job or task id, published by whoever committed the
/// change), reads each watched task that changed, in batches of up to <see cref="ReadBatchSize"/> tasks per statement
/// on one pooled connection, and hands the task to every stream of it.
/// <para>
/// Nothing is lost between a stream's first read and its subscription: a watch is registered before its first read,
/// and once the read has told it the task's job ids (the worker announces job ids) a catch-up read follows. Signals are
/// hints: after Redis comes back, and every <see cref="EventsOptions.ResyncInterval"/> in any case, every watched task
/// is read again (only rows whose updated_at moved come back), and a failed read is retried with backoff. Streams are
/// only ever ended by the final status, by their client, or, when the process stops, with an error event.
/// </para>
/// <para>
/// It listens to the signals only while streams are open (and <see cref="EventsOptions.ListenAfterLastStream"/> after
/// the last one ended): every job's results are signalled, and an orchestrator nobody follows a task on has no use for
/// them. The first stream subscribes; once the subscription stands every watched task is read again, so a change
/// committed before it took effect is not missed.
/// </para>
/// </summary>
public sealed partial class TaskEventsHub(
    ITaskRepository tasks,
    ITaskSignals signals,
    IOptions<EventsOptions> options,
    TimeProvider time,
    ILogger<TaskEventsHub> logger) : BackgroundService
{
    public const int ReadBatchSize = 100;

    private static readonly TimeSpan RetryFirst = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Watch> _byTask = [];
    private readonly Dictionary<Guid, Watch> _byJob = [];
    private readonly HashSet<Watch> _dirty = [];

    // Cancels a subscription still being made when the process stops. Not disposed: it has no timer, and the host may
    // dispose this service before it stops it.
    private readonly CancellationTokenSource _stopping = new();

    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _stopped;
    private IDisposable? _signalSubscription;
    private bool _subscribing;
    private long? _idleSince;
    private long _reads;

    /// <summary>Tasks with at least one open stream.</summary>
    public int Watched
    {
        get
        {
            lock (_gate)
            {
                return _byTask.Count;
            }
        }
    }

    /// <summary>Read statements issued so far (diagnostics and tests).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>
    /// Watches task <paramref name="taskId"/> and returns once its first read is done: null when no such task exists.
    /// Throws what the first read threw (PostgreSQL unavailable), or <see cref="TaskEventsStoppedException"/>.
    /// </summary>
    public async Task<TaskSubscription?> SubscribeAsync(Guid taskId, CancellationToken cancellationToken)
    {
        Watch watch;
        bool listen;
        var subscription = new TaskSubscription(this, time);
        lock (_gate)
        {
            if (_stopped is { } stopped)
            {
                throw new TaskEventsStoppedException(stopped.Message);
            }

            if (!_byTask.TryGetValue(taskId, out watch!))
            {
                watch = new Watch(taskId);
                _byTask.Add(taskId, watch);
                MarkDirty(watch, forced: true);
            }

            subscription.Watch = watch;
            watch.Subscribers.Add(subscription);
            if (watch.Latest is { } latest)
            {
                subscription.Offer(latest);
            }

            _idleSince = null;
            listen = StartListening();
        }

        if (listen)
        {
            _ = ListenAsync();   // outside the gate: a subscription that completes at once takes it
        }

        try
        {
            if (await watch.FirstRead.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return subscription;
            }

            subscription.Dispose();
            return null;
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
    }

    internal void Unsubscribe(TaskSubscription subscription)
    {
        lock (_gate)
        {
            if (subscription.Watch is not { } watch || !watch.Subscribers.Remove(subscription) || watch.Subscribers.Count > 0)
            {
                return;
            }

            Forget(watch);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        Stop(new TaskEventsStoppedException("The orchestrator is shutting down: reconnect to follow the task."));
        await _stopping.CancelAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _signalSubscription?.Dispose();
            _signalSubscription = null;
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resyncAt = time.GetTimestamp();
        var retry = RetryFirst;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var untilResync = options.Value.ResyncInterval - time.GetElapsedTime(resyncAt);
            if (untilResync <= TimeSpan.Zero)
            {
                ResyncAll();
                bool listen;
                lock (_gate)
                {
                    listen = StartListening();
                }

                if (listen)
                {
                    _ = ListenAsync();
                }

                resyncAt = time.GetTimestamp();
                untilResync = options.Value.ResyncInterval;
            }

            List<(Watch Watch, TaskVersion Version)> batch;
            Task wake;
            TimeSpan untilQuiet;
            lock (_gate)
            {
                untilQuiet = StopListeningWhenIdle();
                batch = TakeBatch();
                if (batch.Count == 0 && _wake.Task.IsCompleted)
                {
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wake = _wake.Task;
            }

            if (batch.Count == 0)
            {
                await Wait(wake, untilQuiet < untilResync ? untilQuiet : untilResync, stoppingToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                Interlocked.Increment(ref _reads);
                var changed = await tasks.GetChangedAsync([.. batch.Select(b => b.Version)], stoppingToken).ConfigureAwait(false);
                Apply(batch, changed);
                if (failing)
                {
                    LogRecovered(logger);
                    failing = false;
                }

                retry = RetryFirst;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                if (!failing)
                {
                    LogReadFailed(logger, error, retry);
                    failing = true;
                }

                Retry(batch, error);
                await Task.Delay(retry, time, stoppingToken).ConfigureAwait(false);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, RetryMax.Ticks));
            }
        }
    }

    private void OnChanged(Guid id)
    {
        lock (_gate)
        {
            if (_byTask.TryGetValue(id, out var watch) || _byJob.TryGetValue(id, out watch))
            {
                MarkDirty(watch, forced: true);
            }
        }
    }

    private void ResyncAll()
    {
        lock (_gate)
        {
            foreach (var watch in _byTask.Values)
            {
                MarkDirty(watch, forced: false);
            }
        }
    }

    // Under the gate. Forced: read the task whatever its updated_at (a signal said it changed).
    private void MarkDirty(Watch watch, bool forced)
    {
        watch.Forced |= forced;
        _dirty.Add(watch);
        _wake.TrySetResult();
    }

    private List<(Watch, TaskVersion)> TakeBatch()
    {
        var batch = new List<(Watch, TaskVersion)>(Math.Min(_dirty.Count, ReadBatchSize));
        foreach (var watch in _dirty)
        {
            batch.Add((watch, watch.Latest is { } known
                ? new TaskVersion(watch.Id, watch.Forced ? null : known.UpdatedAt, WithoutInputs: true,
                    SettledJobs: [.. known.Jobs.Where(job => job.Status.IsFinal()).Select(job => job.Id)])
                : new TaskVersion(watch.Id, null)));
            if (batch.Count == ReadBatchSize)
            {
                break;
            }
        }

        foreach (var (watch, _) in batch)
        {
            _dirty.Remove(watch);
            watch.Forced = false;
        }

        return batch;
    }

    private void Apply(List<(Watch Watch, TaskVersion Version)> batch, IReadOnlyList<TaskRecord> changed)
    {
        var found = changed.ToDictionary(t => t.Id);
        lock (_gate)
        {
            foreach (var (watch, version) in batch)
            {
                if (!ReferenceEquals(_byTask.GetValueOrDefault(watch.Id), watch))
                {
                    continue;   // every stream of it went away meanwhile
                }

                if (found.TryGetValue(watch.Id, out var task))
                {
                    if (watch.Latest is { } known)
                    {
                        task = WithWhatWasLeftOut(task, known, version);
                    }

                    if (watch.Latest is null)
                    {
                        foreach (var job in task.Jobs)
                        {
                            _byJob[job.Id] = watch;
                        }

                        // A job's signal may have come before its id was known here: read once more.
                        MarkDirty(watch, forced: false);
                    }

                    watch.Latest = task;
                    foreach (var subscription in watch.Subscribers)
                    {
                        subscription.Offer(task);
                    }

                    watch.FirstRead.TrySetResult(true);
                }
                else if (watch.Latest is null)
                {
                    watch.FirstRead.TrySetResult(false);   // no such task
                    Forget(watch);
                }
            }
        }
    }

    // A re-read leaves out what never changes (TaskVersion): the inputs, and the results and errors of the jobs final
    // when it was asked for. They come from the version read before.
    private static TaskRecord WithWhatWasLeftOut(TaskRecord read, TaskRecord known, TaskVersion version)
    {
        var before = known.Jobs.ToDictionary(job => job.Id);
        var settled = version.SettledJobs?.ToHashSet() ?? [];
        return read with
        {
            Jobs =
            [
                .. read.Jobs.Select(job => !before.TryGetValue(job.Id, out var earlier) ? job
                    : settled.Contains(job.Id) ? job with { Input = earlier.Input, Result = earlier.Result, Error = earlier.Error }
                    : version.WithoutInputs ? job with { Input = earlier.Input }
                    : job),
            ],
        };
    }

    // A failed read: streams already open wait for the retry; those still waiting for their first read get the error.
    private void Retry(List<(Watch Watch, TaskVersion Version)> batch, Exception error)
    {
        lock (_gate)
        {
            foreach (var (watch, version) in batch)
            {
                if (!ReferenceEquals(_byTask.GetValueOrDefault(watch.Id), watch))
                {
                    continue;
                }

                if (watch.Latest is null)
                {
                    watch.FirstRead.TrySetException(error);
                    Forget(watch);
                }
                else
                {
                    MarkDirty(watch, forced: version.UpdatedAt is null);
                }
            }
        }
    }

    private void Forget(Watch watch)
    {
        _byTask.Remove(watch.Id);
        _dirty.Remove(watch);
        foreach (var job in watch.Latest?.Jobs ?? [])
        {
            _byJob.Remove(job.Id);
        }

        if (_byTask.Count == 0)
        {
            // The loop stops listening after ListenAfterLastStream: wake it to count from now.
            _idleSince = time.GetTimestamp();
            _wake.TrySetResult();
        }
    }

    private void Stop(Exception reason)
    {
        lock (_gate)
        {
            _stopped ??= reason;
            foreach (var watch in _byTask.Values)
            {
                watch.FirstRead.TrySetException(reason);
                foreach (var subscription in watch.Subscribers)
                {
                    subscription.Fail(reason);
                }
            }
        }
    }

    private async Task Wait(Task wake, TimeSpan timeout, CancellationToken stoppingToken)
    {
        try
        {
            await wake.WaitAsync(timeout, time, stoppingToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading watched tasks failed; streams stay open and the read is retried from {Delay} on")]
    private static partial void LogReadFailed(ILogger logger, Exception error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not listen to the task signals; open streams learn of changes by the periodic resync until the next stream tries again")]
    private static partial void LogListenFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading watched tasks works again; streams are up to date")]
    private static partial void LogRecovered(ILogger logger);

    internal sealed class Watch(Guid id)
    {
        public Guid Id { get; } = id;

        public List<TaskSubscription> Subscribers { get; } = [];

        public TaskRecord? Latest { get; set; }

        public bool Forced { get; set; }

        /// <summary>True: the task exists; false: it does not.</summary>
        public TaskCompletionSource<bool> FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The events stream cannot go on (the process stops); the client should reconnect.</summary>
public sealed class TaskEventsStoppedException(string message) : Exception(message);
