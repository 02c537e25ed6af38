namespace AgentSystem.Queue;

/// <summary>
/// An async auto-reset signal for "there may be work": <see cref="Set"/> releases everyone waiting at that moment
/// (every claim loop of the process should look), or, when nobody waits, stays set until the next wait consumes it,
/// so a notification that arrives while a worker is busy draining is not lost.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock gate = new();
    private TaskCompletionSource waiters = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int waiting;
    private bool set;

    public void Set()
    {
        TaskCompletionSource released;
        lock (gate)
        {
            if (waiting == 0)
            {
                set = true;
                return;
            }

            released = waiters;
            waiters = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting = 0;
        }

        released.TrySetResult();
    }

    /// <summary>True when signalled, false when the timeout passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task signalled;
        lock (gate)
        {
            if (set)
            {
                set = false;
                return true;
            }

            if (timeout <= TimeSpan.Zero)
            {
                return false;
            }

            waiting++;
            signalled = waiters.Task;
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
                lock (gate)
                {
                    if (ReferenceEquals(waiters.Task, signalled) && waiting > 0)
                    {
                        waiting--;
                    }
                }
            }
        }
    }
}
