namespace AgentSystem.ServiceDefaults;

/// <summary>
/// The services' background work (the orchestrator's dispatcher and retention, chat's retention): a round at start,
/// then one every interval, until the stop.
/// </summary>
public static class Rounds
{
    /// <summary>
    /// Runs <paramref name="round"/> now and after every <paramref name="interval"/>; a failed round goes to
    /// <paramref name="failed"/> and the next one tries again. Returns when <paramref name="stopping"/> is cancelled.
    /// </summary>
    public static async Task RunAsync(
        TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> failed, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await round(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                failed(error);
            }
        }
        while (await WaitAsync(timer, stopping));
    }

    /// <summary>
    /// One retention round: <paramref name="deleteBatch"/> (given the batch size, returning how many it deleted) again
    /// while it deletes a full batch, <paramref name="pause"/> between two, so that a backlog leaves the database room for
    /// the rest; each batch's count goes to <paramref name="deleted"/>. Returns the total.
    /// </summary>
    public static async Task<int> DeleteInBatchesAsync(
        Func<int, CancellationToken, Task<int>> deleteBatch, int batchSize, TimeSpan pause, TimeProvider time, Action<int> deleted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deleteBatch);
        ArgumentNullException.ThrowIfNull(deleted);
        var total = 0;
        while (true)
        {
            var count = await deleteBatch(batchSize, cancellationToken);
            total += count;
            if (count > 0)
            {
                deleted(count);
            }

            if (count < batchSize)
            {
                return total;
            }

            await Task.Delay(pause, time, cancellationToken);
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
