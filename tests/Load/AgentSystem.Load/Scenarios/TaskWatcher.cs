using System.Collections.Concurrent;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// Lets closed-model copies wait until their tasks are final: one loop asks PostgreSQL about every pending task at once
/// every <see cref="PollInterval"/>, instead of one query per copy.
/// </summary>
internal sealed class TaskWatcher(StoredWork stored) : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> pending = new();
    private readonly CancellationTokenSource stop = new();
    private Task loop = Task.CompletedTask;

    public void Start() => loop = Task.Run(() => PollAsync(stop.Token));

    /// <summary>Completes when every one of <paramref name="tasks"/> is final.</summary>
    public Task WaitAsync(IReadOnlyList<Guid> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var waits = tasks.Select(task => pending.GetOrAdd(task, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task);
        return Task.WhenAll(waits).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!pending.IsEmpty)
                {
                    foreach (var task in await stored.FinalAsync([.. pending.Keys], cancellationToken))
                    {
                        if (pending.TryRemove(task, out var done))
                        {
                            done.TrySetResult();
                        }
                    }
                }

                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
