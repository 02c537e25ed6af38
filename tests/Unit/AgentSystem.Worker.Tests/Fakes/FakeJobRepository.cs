using System.Collections.Concurrent;
using AgentSystem.Contracts;
using AgentSystem.Store;

namespace AgentSystem.Worker.Tests.Fakes;

/// <summary>
/// IJobRepository (and the cancellation read) in memory with the store's idempotency (final rows stay final), and a
/// switch for an outage.
/// </summary>
public sealed class FakeJobRepository(EventLog log) : IJobRepository, IJobCancellationReader
{
    private readonly Lock _lock = new();
    private int _failNext;
    private int _failures;

    public ConcurrentDictionary<Guid, JobState> States { get; } = new();

    public ConcurrentDictionary<Guid, string> Results { get; } = new();

    public ConcurrentQueue<(Guid JobId, string Reason, JobState State)> Failures { get; } = new();

    /// <summary>While true every call throws, as with PostgreSQL unreachable.</summary>
    public bool Down { get; set; }

    /// <summary>Calls that threw because of <see cref="Down"/> or <see cref="FailNext"/>.</summary>
    public int Outages => Volatile.Read(ref _failures);

    public void FailNext(int calls) => Volatile.Write(ref _failNext, calls);

    public Task<JobStart> StartAsync(Guid jobId, int attempt, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_lock)
        {
            if (States.TryGetValue(jobId, out var state) && state.IsFinal())
            {
                log.Add($"start-skip:{jobId}");
                return Task.FromResult(JobStart.Skip);
            }

            States[jobId] = JobState.Running;
            log.Add($"start:{jobId}:{attempt}");
            return Task.FromResult(JobStart.Run);
        }
    }

    public Task<bool> CompleteAsync(Guid jobId, string result, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_lock)
        {
            if (States.TryGetValue(jobId, out var state) && state.IsFinal())
            {
                return Task.FromResult(false);
            }

            States[jobId] = JobState.Succeeded;
            Results[jobId] = result;
            log.Add($"complete:{jobId}");
            return Task.FromResult(true);
        }
    }

    public Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_lock)
        {
            if (States.TryGetValue(jobId, out var state) && state.IsFinal())
            {
                return Task.FromResult(false);
            }

            States[jobId] = newState;
            Failures.Enqueue((jobId, reason, newState));
            log.Add($"fail:{jobId}:{newState}");
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlySet<Guid>> FindCancelledAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        log.Add($"find-cancelled:{jobIds.Count}");
        return Task.FromResult<IReadOnlySet<Guid>>(jobIds.Where(id => States.TryGetValue(id, out var state) && state == JobState.Cancelled).ToHashSet());
    }

    private void ThrowIfDown()
    {
        var failThis = Down;
        if (!failThis)
        {
            lock (_lock)
            {
                if (_failNext > 0)
                {
                    _failNext--;
                    failThis = true;
                }
            }
        }

        if (failThis)
        {
            Interlocked.Increment(ref _failures);
            log.Add("store-down");
            throw new TimeoutException("PostgreSQL unavailable (fake)");
        }
    }
}
