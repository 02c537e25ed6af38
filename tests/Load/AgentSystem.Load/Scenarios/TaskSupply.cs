using System.Collections.Concurrent;
using AgentSystem.Contracts;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// The task rows a phase hands to its steps, created in PostgreSQL before they are enqueued. A short run's rows are all
/// created before the phase (<see cref="FillAsync"/>), so PostgreSQL's COPY is not part of what is measured; a long
/// run would spend minutes and gigabytes on rows up front, so it gets the rest in chunks of <paramref name="chunk"/>
/// tasks, each started in the background once fewer than a chunk's rows are left. A step finding none waits for the
/// chunk being created.
/// </summary>
/// <param name="create">Creates that many tasks' rows and returns their jobs' messages, task by task.</param>
/// <param name="chunk">Tasks per chunk created while the phase runs; also the number left that starts the next.</param>
/// <param name="creatingWhileRunning">Called once, when the first chunk is started while the phase runs.</param>
internal sealed class TaskSupply(
    Func<int, CancellationToken, Task<IReadOnlyList<JobMessage[]>>> create, int chunk, Action creatingWhileRunning) : IAsyncDisposable
{
    private readonly ConcurrentQueue<JobMessage[]> _ready = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _creating = Task.CompletedTask;
    private int _left;
    private bool _announced;
    private int _disposed;

    /// <summary>Tasks created and not yet taken.</summary>
    public int Left => Volatile.Read(ref _left);

    /// <summary>Creates <paramref name="tasks"/> tasks' rows before the phase.</summary>
    public async Task FillAsync(int tasks, CancellationToken cancellationToken) => Add(await create(tasks, cancellationToken));

    /// <summary>One task's jobs; at once while rows are left, else once the chunk being created is there.</summary>
    public ValueTask<JobMessage[]> TakeAsync(CancellationToken cancellationToken)
    {
        if (_ready.TryDequeue(out var task))
        {
            Interlocked.Decrement(ref _left);
            CreateMoreIfLow();
            return ValueTask.FromResult(task);
        }

        return WaitAndTakeAsync(cancellationToken);
    }

    /// <summary>Stops a chunk being created (its rows are not committed) and waits for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await CurrentCreation();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Cancelled, or failed with no step waiting for it: either way no rows of it are left to clean up.
        }

        _stop.Dispose();
    }

    private async ValueTask<JobMessage[]> WaitAndTakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // A chunk that failed is started again by the next call: the wait sees its error, the retry the new chunk.
            await CreateMore().WaitAsync(cancellationToken);
            if (_ready.TryDequeue(out var task))
            {
                Interlocked.Decrement(ref _left);
                return task;
            }
        }
    }

    private void CreateMoreIfLow()
    {
        if (Left < chunk)
        {
            _ = CreateMore();
        }
    }

    private Task CreateMore()
    {
        lock (_gate)
        {
            if (!_creating.IsCompleted)
            {
                return _creating;
            }

            if (!_announced)
            {
                _announced = true;
                creatingWhileRunning();
            }

            _creating = CreateChunkAsync();
            return _creating;
        }
    }

    private Task CurrentCreation()
    {
        lock (_gate)
        {
            return _creating;
        }
    }

    private async Task CreateChunkAsync()
    {
        await Task.Yield();
        Add(await create(chunk, _stop.Token));
    }

    private void Add(IReadOnlyList<JobMessage[]> tasks)
    {
        foreach (var task in tasks)
        {
            _ready.Enqueue(task);
        }

        Interlocked.Add(ref _left, tasks.Count);
    }
}
