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

    /// <summary>The attempt each stored result came from.</summary>
    public ConcurrentDictionary<Guid, int> ResultAttempts { get; } = new();

    public ConcurrentQueue<(Guid JobId, string Reason, JobState State)> Failures { get; } = new();

    /// <summary>While true every call throws, as with PostgreSQL unreachable.</summary>
    public bool Down { get; set; }

    /// <summary>Calls that threw because of <see cref="Down"/> or <see cref="FailNext"/>.</summary>
    public int Outages => Volatile.Read(ref _failures);

    public void FailNext(int calls) => Volatile.Write(ref _failNext, calls);

    /// <summary>Calls of the batched reads and writes and how many jobs each carried.</summary>
    public ConcurrentQueue<int> RunnableCalls { get; } = new();

    public ConcurrentQueue<int> StartCalls { get; } = new();

    /// <summary>How long each job had run when the worker marked it running.</summary>
    public ConcurrentDictionary<Guid, TimeSpan> StartElapsed { get; } = new();

    public ConcurrentQueue<int> CompleteCalls { get; } = new();

    /// <summary>While set, result writes wait for it (counted in <see cref="CompleteCalls"/> as they arrive): a slow PostgreSQL.</summary>
    public TaskCompletionSource? Stall { get; set; }

    public Task<IReadOnlySet<Guid>> FindRunnableAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        ThrowIfDown();
        RunnableCalls.Enqueue(jobIds.Count);
        var runnable = new HashSet<Guid>();
        lock (_lock)
        {
            foreach (var jobId in jobIds)
            {
                if (States.TryGetValue(jobId, out var state) && state.IsFinal())
                {
                    log.Add($"check-skip:{jobId}");
                    continue;
                }

                log.Add($"check:{jobId}");
                runnable.Add(jobId);
            }
        }

        return Task.FromResult<IReadOnlySet<Guid>>(runnable);
    }

    public Task<IReadOnlySet<Guid>> StartAsync(IReadOnlyCollection<JobAttempt> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ThrowIfDown();
        StartCalls.Enqueue(jobs.Count);
        var run = new HashSet<Guid>();
        lock (_lock)
        {
            foreach (var (jobId, attempt, elapsed) in jobs)
            {
                if (States.TryGetValue(jobId, out var state) && state.IsFinal())
                {
                    log.Add($"start-skip:{jobId}");
                    continue;
                }

                States[jobId] = JobState.Running;
                StartElapsed[jobId] = elapsed;
                log.Add($"start:{jobId}:{attempt}");
                run.Add(jobId);
            }
        }

        return Task.FromResult<IReadOnlySet<Guid>>(run);
    }

    public async Task<IReadOnlySet<Guid>> CompleteAsync(IReadOnlyCollection<JobResult> results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(results);
        CompleteCalls.Enqueue(results.Count);
        if (Stall is { } stall)
        {
            await stall.Task.WaitAsync(cancellationToken);
        }

        ThrowIfDown();
        var recorded = new HashSet<Guid>();
        lock (_lock)
        {
            foreach (var (jobId, result, attempt, _) in results)
            {
                if (States.TryGetValue(jobId, out var state) && state.IsFinal())
                {
                    continue;
                }

                States[jobId] = JobState.Succeeded;
                Results[jobId] = result;
                ResultAttempts[jobId] = attempt;
                log.Add($"complete:{jobId}");
                recorded.Add(jobId);
            }
        }

        return recorded;
    }

    public Task<bool> MarkLostDeadAsync(Guid jobId, int attempts, string reason, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Only the orchestrator's dispatcher marks lost jobs dead.");

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
