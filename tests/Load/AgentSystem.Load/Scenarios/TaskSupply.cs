using System.Collections.Concurrent;
using System.Diagnostics;
using AgentSystem.Contracts;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// The task rows a phase hands to its steps, created in PostgreSQL before they are enqueued. The phase needs about
/// <paramref name="total"/> tasks. <paramref name="upFront"/> of them are created before it (<see cref="FillAsync"/>),
/// so PostgreSQL's COPY is not part of what is measured; a short phase's upFront is its total. A longer phase gets the
/// rest in chunks of <paramref name="chunk"/> tasks, each started in the background once fewer than a chunk are left.
/// A step that finds none (the phase ran faster than its rows were sized for) waits for a chunk, beyond the total too.
/// Before the measured part, <see cref="ReadyForAsync"/> sizes the rest anew, however many the warm-up took.
/// </summary>
/// <param name="create">Creates that many tasks' rows, all or none, and returns their jobs' messages, task by task.</param>
/// <param name="log">Told when many rows are created before steps run, when the first chunk starts while the phase runs, and when a chunk no step waited for failed.</param>
internal sealed class TaskSupply(
    Func<int, CancellationToken, Task<IReadOnlyList<JobMessage[]>>> create, int total, int upFront, int chunk, Action<string> log) : IAsyncDisposable
{
    private readonly ConcurrentQueue<JobMessage[]> _ready = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _creating = Task.CompletedTask;
    private int _total = total;

    /// <summary>Tasks created and not yet taken: a counter, since a long queue's Count takes a lock.</summary>
    private int _left;
    private int _asked;
    private int _waits;
    private long _waitedTicks;
    private bool _announced;
    private bool _disposed;

    /// <summary>Takes that found no rows and waited for a chunk, and how long they waited in all.</summary>
    public (int Takes, TimeSpan Time) Waited => (Volatile.Read(ref _waits), TimeSpan.FromTicks(Interlocked.Read(ref _waitedTicks)));

    /// <summary>Rows for this many tasks take seconds to create: said first (helper-145: 10 s without a line before a phase).</summary>
    private const int SaidFrom = 10_000;

    /// <summary>Creates the rows made before the phase: the up-front part of its total.</summary>
    public Task FillAsync(CancellationToken cancellationToken) => ReadyForAsync(_total, upFront, cancellationToken);

    /// <summary>
    /// The phase needs <paramref name="tasks"/> more from now (its measured part, after a warm-up that may have taken
    /// more than it was sized for): rows for up to <paramref name="upFrontNow"/> of them are created now, the rest as it
    /// runs. Called while no step runs.
    /// </summary>
    public async Task ReadyForAsync(int tasks, int upFrontNow, CancellationToken cancellationToken)
    {
        Task creating;
        lock (_gate)
        {
            creating = _creating;
        }

        try
        {
            await creating.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed chunk was logged and is asked for again below.
        }

        int missing;
        lock (_gate)
        {
            _total = _asked - Volatile.Read(ref _left) + tasks;
            missing = Math.Min(tasks, upFrontNow) - Volatile.Read(ref _left);
            if (missing <= 0)
            {
                return;
            }

            _asked += missing;
        }

        if (missing >= SaidFrom)
        {
            log($"creating {missing:N0} tasks' rows first (COPY into PostgreSQL)");
        }

        Add(await create(missing, cancellationToken));
    }

    /// <summary>One task's jobs; at once while rows are left, else once the chunk being created is there.</summary>
    public ValueTask<JobMessage[]> TakeAsync(CancellationToken cancellationToken) =>
        TryTake(out var task) ? ValueTask.FromResult(task) : WaitAndTakeAsync(cancellationToken);

    /// <summary>Stops a chunk being created (its rows are not committed) and waits for it to end; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        Task creating;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            creating = _creating;
        }

        await _stop.CancelAsync();
        try
        {
            await creating;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Cancelled, or failed with no step waiting for it: either way it committed nothing.
        }

        _stop.Dispose();
    }

    private bool TryTake(out JobMessage[] task)
    {
        if (!_ready.TryDequeue(out task!))
        {
            return false;
        }

        if (Interlocked.Decrement(ref _left) < chunk)
        {
            _ = CreateMore(beyondTotal: false);
        }

        return true;
    }

    private async ValueTask<JobMessage[]> WaitAndTakeAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var waited = false;
        while (true)
        {
            // Rows may have come in since the last look: take them before starting (and waiting for) another chunk.
            if (TryTake(out var task))
            {
                if (waited)
                {
                    Interlocked.Increment(ref _waits);
                    Interlocked.Add(ref _waitedTicks, Stopwatch.GetElapsedTime(started).Ticks);
                }

                return task;
            }

            await CreateMore(beyondTotal: true).WaitAsync(cancellationToken);
            waited = true;
        }
    }

    /// <summary>The chunk being created, or a new one if none is and more are needed.</summary>
    private Task CreateMore(bool beyondTotal)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return Task.FromCanceled(new CancellationToken(canceled: true));
            }

            var tasks = beyondTotal ? chunk : Math.Min(chunk, _total - _asked);
            if (!_creating.IsCompleted || tasks <= 0)
            {
                return _creating;
            }

            if (!_announced)
            {
                _announced = true;
                log($"creating {tasks:N0} more tasks' rows while the phase runs, and so on while it needs them (PostgreSQL does this work during the run)");
            }

            _asked += tasks;
            _creating = CreateChunkAsync(tasks);
            return _creating;
        }
    }

    private async Task CreateChunkAsync(int tasks)
    {
        // Off the caller's thread (a step's, under the lock): the COPY's first part runs synchronously.
        await Task.Yield();
        try
        {
            Add(await create(tasks, _stop.Token));
        }
        catch (Exception error) when (!_stop.IsCancellationRequested)
        {
            lock (_gate)
            {
                _asked -= tasks;
            }

            log($"creating {tasks:N0} tasks' rows failed ({error.Message}); tried again when they are needed");
            throw;
        }
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
