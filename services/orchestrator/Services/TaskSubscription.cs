using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Services;

/// <summary>
/// One events stream's view of its task, fed by <see cref="TaskEventsHub"/>: only the newest version counts, so a
/// slow client skips versions rather than holding anything up. Dispose it when the stream ends.
/// </summary>
public sealed class TaskSubscription : IDisposable
{
    private readonly TaskEventsHub _hub;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private TaskRecord? _latest;
    private bool _fresh;
    private Exception? _failure;
    private TaskCompletionSource? _waiting;
    private int _disposed;

    internal TaskSubscription(TaskEventsHub hub, TimeProvider time)
    {
        _hub = hub;
        _time = time;
    }

    internal TaskEventsHub.Watch? Watch { get; set; }

    /// <summary>
    /// The newest version of the task not yet taken, at once when there is one; null when <paramref name="timeout"/>
    /// passes first (time for a keep-alive). Throws <see cref="TaskEventsStoppedException"/> when the hub stops.
    /// </summary>
    public async Task<TaskRecord?> NextAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            if (TryTake(out var task))
            {
                return task;
            }

            changed = (_waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        try
        {
            await changed.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }

        lock (_gate)
        {
            return TryTake(out var task) ? task : null;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _hub.Unsubscribe(this);
        }
    }

    internal void Offer(TaskRecord task)
    {
        lock (_gate)
        {
            _latest = task;
            _fresh = true;
            Release();
        }
    }

    internal void Fail(Exception reason)
    {
        lock (_gate)
        {
            _failure ??= reason;
            Release();
        }
    }

    // Under the gate.
    private bool TryTake(out TaskRecord? task)
    {
        if (_failure is { } failure)
        {
            throw new TaskEventsStoppedException(failure.Message);
        }

        task = _fresh ? _latest : null;
        _fresh = false;
        return task is not null;
    }

    private void Release()
    {
        _waiting?.TrySetResult();
        _waiting = null;
    }
}
