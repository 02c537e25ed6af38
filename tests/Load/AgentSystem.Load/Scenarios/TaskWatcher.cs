using System.Collections.Concurrent;
using System.Diagnostics;
using AgentSystem.Contracts;
using AgentSystem.Queue;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// Lets closed-model copies wait until their tasks are final, asking PostgreSQL as little as it can, since every query it
/// makes takes PostgreSQL's time from the system it measures: every <see cref="PollInterval"/> it reads only the tasks a
/// worker announced a change of (the "task-changed" signal carries the job's id), and every <see cref="SweepInterval"/>
/// (or after Redis reconnected) all the pending ones, since a signal is a hint that can be lost.
/// </summary>
internal sealed class TaskWatcher(StoredWork stored, ITaskSignals signals) : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<Guid, (TaskCompletionSource Done, JobMessage[] Jobs)> _pending = new();
    private readonly ConcurrentDictionary<Guid, Guid> _taskOfJob = new();
    private readonly ConcurrentDictionary<Guid, byte> _changed = new();
    private readonly CancellationTokenSource _stop = new();
    private IDisposable? _subscription;
    private int _sweepNow;
    private Task _loop = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = await signals.SubscribeAsync(TaskSignal.Changed, OnChanged, () => Volatile.Write(ref _sweepNow, 1), cancellationToken);
        _loop = Task.Run(() => PollAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Completes when every one of <paramref name="tasks"/> (each given by its jobs) is final.</summary>
    public Task WaitAsync(IReadOnlyList<JobMessage[]> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var waits = new List<Task>(tasks.Count);
        foreach (var jobs in tasks)
        {
            var task = jobs[0].TaskId;
            waits.Add(_pending.GetOrAdd(task, _ => (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), jobs)).Done.Task);
            foreach (var job in jobs)
            {
                _taskOfJob[job.JobId] = task;
            }
        }

        return Task.WhenAll(waits).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _subscription?.Dispose();
        _stop.Dispose();
    }

    private void OnChanged(Guid job)
    {
        if (_taskOfJob.TryGetValue(job, out var task))
        {
            _changed.TryAdd(task, 0);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var sinceSweep = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Every announced task is taken (a sweep asks about all pending ones anyway), so none lingers in the set.
                List<Guid> changed = [.. _changed.Keys];
                foreach (var task in changed)
                {
                    _changed.TryRemove(task, out _);
                }

                var sweep = sinceSweep.Elapsed >= SweepInterval || Interlocked.Exchange(ref _sweepNow, 0) == 1;
                List<Guid> asked = sweep ? [.. _pending.Keys] : [.. changed.Where(_pending.ContainsKey)];
                if (sweep)
                {
                    sinceSweep.Restart();
                }

                if (asked.Count > 0)
                {
                    foreach (var task in await stored.FinalAsync(asked, cancellationToken))
                    {
                        if (_pending.TryRemove(task, out var final))
                        {
                            foreach (var job in final.Jobs)
                            {
                                _taskOfJob.TryRemove(job.JobId, out _);
                            }

                            final.Done.TrySetResult();
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
