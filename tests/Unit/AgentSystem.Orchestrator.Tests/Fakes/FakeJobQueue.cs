using AgentSystem.Contracts;
using AgentSystem.Queue;

namespace AgentSystem.Orchestrator.Tests.Fakes;

/// <summary>
/// IJobQueue in memory, as far as the orchestrator uses it: idempotent enqueue per job id, FindKnown, and a
/// <see cref="Down"/> switch that makes every call fail as a Redis without connection does.
/// </summary>
public sealed class FakeJobQueue : IJobQueue
{
    private readonly Lock _gate = new();
    private readonly List<JobMessage> _queued = [];
    private readonly HashSet<Guid> _known = [];

    public bool Down { get; set; }

    /// <summary>When set, EnqueueAsync waits on it (a Redis that stalls).</summary>
    public TaskCompletionSource? Stall { get; set; }

    public int EnqueueCalls { get; private set; }

    public List<IReadOnlyCollection<Guid>> FindKnownCalls { get; } = [];

    /// <summary>Everything enqueued, in order, once per job id.</summary>
    public IReadOnlyList<JobMessage> Queued
    {
        get
        {
            lock (_gate)
            {
                return [.. _queued];
            }
        }
    }

    public async Task<int> EnqueueAsync(IReadOnlyCollection<JobMessage> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (Stall is { } stall)
        {
            await stall.Task.WaitAsync(cancellationToken);
        }

        lock (_gate)
        {
            EnqueueCalls++;
            ThrowIfDown();
            var added = 0;
            foreach (var job in jobs.Where(job => _known.Add(job.JobId)))
            {
                _queued.Add(job);
                added++;
            }

            return added;
        }
    }

    public Task<IReadOnlySet<Guid>> FindKnownAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        lock (_gate)
        {
            FindKnownCalls.Add([.. jobIds]);
            ThrowIfDown();
            IReadOnlySet<Guid> known = jobIds.Where(_known.Contains).ToHashSet();
            return Task.FromResult(known);
        }
    }

    /// <summary>Redis lost these jobs (a restart without the last writes, a flush).</summary>
    public void Lose(params Guid[] jobIds)
    {
        lock (_gate)
        {
            _known.ExceptWith(jobIds);
            _queued.RemoveAll(job => jobIds.Contains(job.JobId));
        }
    }

    public Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task AckAsync(ClaimedJob job, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<NackOutcome> NackAsync(ClaimedJob job, string reason, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> RenewAsync(ClaimedJob job, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ReclaimResult> ReclaimExpiredAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new QueueStats(_queued.Count, 0, 0));
        }
    }

    public Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DeadLetter>>([]);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) => Task.Delay(timeout, cancellationToken);

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new InvalidOperationException("No connection is available to service this operation (fake Redis is down).");
        }
    }
}
