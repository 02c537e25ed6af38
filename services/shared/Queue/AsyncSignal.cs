namespace AgentSystem.Queue;

/// <summary>
/// An async auto-reset signal for "there may be work": <see cref="Set"/> releases everyone waiting at that moment
/// (every claim loop of the process should look), or, when nobody waits, stays set until the next wait consumes it,
/// so a notification that arrives while a worker is busy draining is not lost.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _waiters = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;
    private bool _set;

    public void Set()
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            if (_waiting == 0)
            {
                _set = true;
                return;
            }

            released = _waiters;
            _waiters = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting = 0;
        }

        released.TrySetResult();
    }

    /// <summary>True when signalled, false when the timeout passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task signalled;
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return true;
            }

            if (timeout <= TimeSpan.Zero)
            {
                return false;
            }

            _waiting++;
            signalled = _waiters.Task;
        }

        try
        {
            await signalled.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            if (!signalled.IsCompleted)
            {
                lock (_gate)
                {
                    if (ReferenceEquals(_waiters.Task, signalled) && _waiting > 0)
                    {
                        _waiting--;
                    }
                }
            }
        }
    }
}
