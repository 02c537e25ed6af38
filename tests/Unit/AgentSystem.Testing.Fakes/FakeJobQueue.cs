using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Queue;

namespace AgentSystem.Testing.Fakes;

/// <summary>
/// IJobQueue in memory with the Redis queue's semantics (docs/queue.md), but one FIFO for every client (the fair share
/// between clients is the Redis scripts', tested against Redis in QueueFairnessTests): leases, idempotent enqueue by job id,
/// enqueuedAt stamped by the queue's clock, nack to the back with attempt + 1 or to the dead letters, ack and nack that
/// do nothing once the lease is lost, and a latched wake-up signal. Records every call; <see cref="Down"/>,
/// <see cref="Stall"/> and <see cref="Lose"/> play a Redis without connection, one that stalls, and one that lost writes.
/// </summary>
public sealed class FakeJobQueue(EventLog? log = null, int maxAttempts = 3, TimeProvider? time = null) : IJobQueue
{
    private readonly EventLog _log = log ?? new EventLog();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Raw, JobMessage Message)> _queue = new();
    private readonly Dictionary<string, JobMessage> _processing = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> _known = [];
    private readonly List<DeadLetter> _dead = [];
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _raw;
    private int _waitCalls;
    private int _enqueueCalls;
    private int _reclaimCalls;
    private int _statsCalls;

    /// <summary>Every call fails, as with a Redis the multiplexer cannot reach.</summary>
    public bool Down { get; set; }

    /// <summary>When set, EnqueueAsync waits on it first (a Redis that stalls).</summary>
    public TaskCompletionSource? Stall { get; set; }

    public int EnqueueCalls => Volatile.Read(ref _enqueueCalls);

    public ConcurrentQueue<IReadOnlyCollection<Guid>> FindKnownCalls { get; } = new();

    public ConcurrentQueue<int> ClaimRequests { get; } = new();

    public ConcurrentQueue<ClaimedJob> Acks { get; } = new();

    public ConcurrentQueue<(ClaimedJob Job, string Reason, NackOutcome Outcome)> Nacks { get; } = new();

    public ConcurrentDictionary<Guid, int> Renewals { get; } = new();

    /// <summary>Overrides RenewAsync's answer (false: the lease was lost).</summary>
    public Func<ClaimedJob, bool>? RenewAnswer { get; set; }

    public ConcurrentQueue<ReclaimResult> ReclaimResults { get; } = new();

    public int ReclaimCalls => Volatile.Read(ref _reclaimCalls);

    public int StatsCalls => Volatile.Read(ref _statsCalls);

    public int WaitCalls => Volatile.Read(ref _waitCalls);

    public IReadOnlyList<JobMessage> Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Select(entry => entry.Message).ToList();
            }
        }
    }

    public int Processing
    {
        get
        {
            lock (_lock)
            {
                return _processing.Count;
            }
        }
    }

    public IReadOnlyList<DeadLetter> Dead
    {
        get
        {
            lock (_lock)
            {
                return [.. _dead];
            }
        }
    }

    public int AckCount(Guid jobId) => Acks.Count(ack => ack.Message.JobId == jobId);

    public async Task<JobMessage> AddAsync(string type, string input, Guid? jobId = null, string? traceParent = null)
    {
        var job = new JobMessage(jobId ?? Guid.NewGuid(), Guid.NewGuid(), type, input, 1, traceParent);
        await EnqueueAsync([job], CancellationToken.None);
        return job;
    }

    public void AddDeadLetter(JobMessage message, string error)
    {
        lock (_lock)
        {
            _dead.Insert(0, new DeadLetter(message, error, _time.GetUtcNow()));
        }
    }

    public async Task<int> EnqueueAsync(IReadOnlyCollection<JobMessage> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (Stall is { } stall)
        {
            await stall.Task.WaitAsync(cancellationToken);
        }

        Interlocked.Increment(ref _enqueueCalls);
        ThrowIfDown();
        var pushed = 0;
        lock (_lock)
        {
            foreach (var job in jobs)
            {
                if (_known.Add(job.JobId))
                {
                    Push(job with { EnqueuedAt = _time.GetUtcNow() });
                    _log.Add($"enqueue:{job.JobId}:{job.Attempt}");
                    pushed++;
                }
            }
        }

        Signal();
        return pushed;
    }

    public Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, CancellationToken cancellationToken) => ClaimAsync(max, int.MaxValue, cancellationToken);

    /// <summary>The byte budget of each claim, as <see cref="ClaimRequests"/> holds its count.</summary>
    public ConcurrentQueue<int> ClaimByteBudgets { get; } = new();

    public Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, int maxBytes, CancellationToken cancellationToken)
    {
        ClaimRequests.Enqueue(max);
        ClaimByteBudgets.Enqueue(maxBytes);
        ThrowIfDown();
        var claimed = new List<ClaimedJob>();
        var bytes = 0L;
        lock (_lock)
        {
            while (claimed.Count < max && _queue.First is { } first
                && (claimed.Count == 0 || bytes + Encoding.UTF8.GetByteCount(first.Value.Raw) <= maxBytes))
            {
                bytes += Encoding.UTF8.GetByteCount(first.Value.Raw);
                _queue.RemoveFirst();
                _processing[first.Value.Raw] = first.Value.Message;
                claimed.Add(new ClaimedJob(first.Value.Message, first.Value.Raw, _time.GetUtcNow().AddSeconds(30)));
                _log.Add($"claim:{first.Value.Message.JobId}:{first.Value.Message.Attempt}");
            }
        }

        return Task.FromResult<IReadOnlyList<ClaimedJob>>(claimed);
    }

    /// <summary>Calls of <see cref="AckAsync"/> and how many jobs each settled.</summary>
    public ConcurrentQueue<int> AckCalls { get; } = new();

    /// <summary>While set, ack calls wait for it (counted in <see cref="AckCalls"/> as they arrive): a slow Redis.</summary>
    public TaskCompletionSource? AckHold { get; set; }

    public async Task<int> AckAsync(IReadOnlyCollection<ClaimedJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ThrowIfDown();
        AckCalls.Enqueue(jobs.Count);
        if (AckHold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        var held = 0;
        foreach (var job in jobs)
        {
            lock (_lock)
            {
                if (_processing.Remove(job.Raw))
                {
                    _known.Remove(job.Message.JobId);
                    held++;
                }

                _log.Add($"ack:{job.Message.JobId}");
            }

            Acks.Enqueue(job);
        }

        return held;
    }

    public Task<NackOutcome> NackAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
    {
        var final = job.Message.Attempt >= maxAttempts;
        var outcome = final ? NackOutcome.DeadLettered : NackOutcome.Requeued;
        lock (_lock)
        {
            if (_processing.Remove(job.Raw))
            {
                if (final)
                {
                    _dead.Insert(0, new DeadLetter(job.Message, reason, _time.GetUtcNow()));
                    _known.Remove(job.Message.JobId);
                }
                else
                {
                    Push(job.Message with { Attempt = job.Message.Attempt + 1, EnqueuedAt = _time.GetUtcNow() });
                }
            }

            _log.Add($"nack:{job.Message.JobId}:{outcome}");
        }

        Nacks.Enqueue((job, reason, outcome));
        Signal();
        return Task.FromResult(outcome);
    }

    /// <summary>Calls of <see cref="RenewAsync"/> and how many jobs each renewed.</summary>
    public ConcurrentQueue<int> RenewCalls { get; } = new();

    public Task<IReadOnlyList<ClaimedJob>> RenewAsync(IReadOnlyCollection<ClaimedJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ThrowIfDown();
        RenewCalls.Enqueue(jobs.Count);
        var lost = new List<ClaimedJob>();
        foreach (var job in jobs)
        {
            Renewals.AddOrUpdate(job.Message.JobId, 1, (_, count) => count + 1);
            bool held;
            if (RenewAnswer is { } answer)
            {
                held = answer(job);
            }
            else
            {
                lock (_lock)
                {
                    held = _processing.ContainsKey(job.Raw);
                }
            }

            if (!held)
            {
                lost.Add(job);
            }
        }

        return Task.FromResult<IReadOnlyList<ClaimedJob>>(lost);
    }

    public Task<ReclaimResult> ReclaimExpiredAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reclaimCalls);
        return Task.FromResult(ReclaimResults.TryDequeue(out var result) ? result : new ReclaimResult(0, 0));
    }

    /// <summary>Called with the ids asked about before <see cref="FindKnownAsync"/> answers: what happens meanwhile.</summary>
    public Action<IReadOnlyCollection<Guid>>? OnFindKnown { get; set; }

    public Task<IReadOnlySet<Guid>> FindKnownAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        FindKnownCalls.Enqueue([.. jobIds]);
        ThrowIfDown();
        OnFindKnown?.Invoke(jobIds);
        lock (_lock)
        {
            return Task.FromResult<IReadOnlySet<Guid>>(jobIds.Where(_known.Contains).ToHashSet());
        }
    }

    public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _statsCalls);
        lock (_lock)
        {
            return Task.FromResult(new QueueStats(_queue.Count, _processing.Count, _dead.Count));
        }
    }

    public Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int max, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<DeadLetter>>(_dead.Take(max).ToList());
        }
    }

    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waitCalls);
        Task signalled;
        lock (_lock)
        {
            if (_queue.Count > 0)
            {
                return;   // as the Redis wait: jobs are waiting (a claim cut short by its byte budget left them)
            }

            signalled = _signal.Task;
        }

        try
        {
            await signalled.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        lock (_lock)
        {
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Redis lost these jobs (a restart without the last writes, a flush).</summary>
    public void Lose(params Guid[] jobIds)
    {
        lock (_lock)
        {
            _known.ExceptWith(jobIds);
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (jobIds.Contains(node.Value.Message.JobId))
                {
                    _queue.Remove(node);
                }

                node = next;
            }
        }
    }

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new InvalidOperationException("No connection is available to service this operation (fake Redis is down).");
        }
    }

    // As long as the stored message (a claim's byte budget counts it), and unique as each push of the real one is.
    private void Push(JobMessage message) =>
        _queue.AddLast(($"raw-{Interlocked.Increment(ref _raw)} {JsonSerializer.Serialize(message, JsonSerializerOptions.Web)}", message));

    private void Signal()
    {
        lock (_lock)
        {
            _signal.TrySetResult();
        }
    }
}
