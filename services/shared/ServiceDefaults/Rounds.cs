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
