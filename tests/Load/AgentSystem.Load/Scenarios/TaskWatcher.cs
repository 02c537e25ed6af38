using System.Collections.Concurrent;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// Lets closed-model copies wait until their tasks are final: one loop asks PostgreSQL about every pending task at once
/// every <see cref="PollInterval"/>, instead of one query per copy.
/// </summary>
internal sealed class TaskWatcher(StoredWork stored) : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = Task.Run(() => PollAsync(_stop.Token));

    /// <summary>Completes when every one of <paramref name="tasks"/> is final.</summary>
    public Task WaitAsync(IReadOnlyList<Guid> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var waits = tasks.Select(task => _pending.GetOrAdd(task, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task);
        return Task.WhenAll(waits).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!_pending.IsEmpty)
                {
                    foreach (var task in await stored.FinalAsync([.. _pending.Keys], cancellationToken))
                    {
                        if (_pending.TryRemove(task, out var done))
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
