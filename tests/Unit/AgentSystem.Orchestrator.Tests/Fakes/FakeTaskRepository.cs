using System.Collections.Concurrent;
using AgentSystem.Contracts;
using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Tests.Fakes;

/// <summary>
/// ITaskRepository in memory, with the Store's rules as docs/queue.md states them (one "transaction" per call,
/// idempotency key unique per owner, an owner's calls find only its tasks, jobs written as enqueued, newest first,
/// cancel what is not final, roll-up when no job is left to run).
/// Tests drive jobs as a worker would with <see cref="SetJob"/> (which announces the change through <see cref="Changed"/>,
/// as the worker does on Redis), and make it fail with <see cref="FailWith"/>.
/// </summary>
/// <remarks>Also the jobs' store the dispatcher marks a lost job dead through; the orchestrator runs none.</remarks>
public sealed class FakeTaskRepository(TimeProvider time) : ITaskRepository, IJobRepository
{
    private readonly Lock _gate = new();
    private readonly List<StoredTask> _tasks = [];
    private readonly Dictionary<(string Owner, string Key), StoredTask> _byKey = [];

    public FakeTaskRepository()
        : this(TimeProvider.System)
    {
    }

    /// <summary>When set, every call throws it: PostgreSQL down.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>Every NewTask written, stored or not (a repeated idempotency key); not those of a failed call.</summary>
    public List<NewTask> CreateRequests { get; } = [];

    /// <summary>The tasks of each CreateManyAsync call, as called (failed calls too).</summary>
    public List<NewTask[]> CreateBatches { get; } = [];

    /// <summary>When set, CreateManyAsync waits for the task it returns before it writes: a slow INSERT.</summary>
    public Func<IReadOnlyList<NewTask>, Task>? HoldCreate { get; set; }

    /// <summary>When set, a call holding a task it matches throws and writes nothing: a task PostgreSQL rejects.</summary>
    public Func<NewTask, bool>? Rejects { get; set; }

    public List<IReadOnlyCollection<Guid>> MarkEnqueuedCalls { get; } = [];

    private int _getCalls;
    private int _getChangedCalls;

    /// <summary>How often GetAsync was called.</summary>
    public int GetCalls => Volatile.Read(ref _getCalls);

    /// <summary>How often GetChangedAsync was called (the events hub's reads).</summary>
    public int GetChangedCalls => Volatile.Read(ref _getChangedCalls);

    /// <summary>Called with the job id after <see cref="SetJob"/> changed a job, as a worker publishes it.</summary>
    public Action<Guid>? Changed { get; set; }

    /// <summary>Called after GetChangedAsync read, before it returns (under no lock): a test's hook to change things meanwhile.</summary>
    public Action? AfterGetChanged { get; set; }

    public int TaskCount
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Count;
            }
        }
    }

    public int JobCount
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Sum(t => t.Jobs.Count);
            }
        }
    }

    public async Task<IReadOnlyList<CreatedTask>> CreateManyAsync(IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        lock (_gate)
        {
            CreateBatches.Add([.. tasks]);
        }

        if (HoldCreate is { } hold)
        {
            await hold(tasks).WaitAsync(cancellationToken);
        }

        ThrowIfFailing();
        lock (_gate)
        {
            // One transaction: a task the store rejects fails all of them, and nothing is written.
            if (tasks.FirstOrDefault(t => Rejects?.Invoke(t) == true) is { } rejected)
            {
                throw new InvalidOperationException($"The store rejects task '{rejected.Goal}' (fake).");
            }

            // As the store's CHECK: the new tasks of one owner together past its quota fail the whole batch.
            var adding = tasks.Where(t => t.IdempotencyKey is null || !_byKey.ContainsKey((t.Owner ?? "", t.IdempotencyKey)))
                .GroupBy(t => (Owner: t.Owner ?? "", t.OwnerQuota), t => t.StoredBytes);
            foreach (var owner in adding)
            {
                var held = StoredBytes(owner.Key.Owner);
                if (owner.Key.OwnerQuota > 0 && held + owner.Sum() > owner.Key.OwnerQuota)
                {
                    throw new StorageQuotaExceededException(owner.Key.OwnerQuota, owner.Sum(), tasks.Count == 1 ? held : null);
                }
            }

            return [.. tasks.Select(Create)];
        }
    }

    private CreatedTask Create(NewTask task)
    {
        CreateRequests.Add(task);
        if (task.IdempotencyKey is { } key && _byKey.TryGetValue((task.Owner ?? "", key), out var existing))
        {
            return new CreatedTask(existing.ToRecord(), Created: false);
        }

        var now = time.GetUtcNow();
        var stored = new StoredTask(Guid.CreateVersion7(), task.Goal, task.IdempotencyKey, task.TraceParent, task.Client, task.Owner ?? "", now)
        {
            Bytes = task.StoredBytes,
            Jobs = [.. task.Jobs.Select((job, seq) => new StoredJob(Guid.CreateVersion7(), seq, job.Type, job.Input, task.TraceParent) { EnqueuedAt = now })],
        };
        _tasks.Add(stored);
        if (task.IdempotencyKey is { } newKey)
        {
            _byKey[(stored.Owner, newKey)] = stored;
        }

        return new CreatedTask(stored.ToRecord(), Created: true);
    }

    public Task<TaskRecord?> GetByKeyAsync(string owner, string idempotencyKey, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            return Task.FromResult(_byKey.TryGetValue((owner, idempotencyKey), out var stored) ? stored.ToRecord() : null);
        }
    }

    public Task<TaskRecord?> GetAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _getCalls);
        ThrowIfFailing();
        lock (_gate)
        {
            return Task.FromResult(Find(id, owner)?.ToRecord());
        }
    }

    public Task<bool> IsOwnedByAsync(Guid id, string owner, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            return Task.FromResult(Find(id, owner) is not null);
        }
    }

    public Task<TaskPage> ListAsync(TaskState? status, string? owner, int page, int pageSize, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            // Newest first: insertion order reversed (two tasks may share a timestamp).
            var matching = Enumerable.Reverse(_tasks).Where(t => (status is null || t.Status == status) && (owner is null || t.Owner == owner)).ToList();
            var items = matching.Skip((page - 1) * pageSize).Take(Limits.ListedOnPage(page, pageSize)).Select(t => t.ToSummary()).ToList();
            var (total, exact) = Limits.ListedTotal(matching.Count);
            return Task.FromResult(new TaskPage(items, page, pageSize, total, exact));
        }
    }

    public Task<IReadOnlyList<TaskRecord>> GetChangedAsync(IReadOnlyCollection<TaskVersion> tasks, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _getChangedCalls);
        foreach (var version in tasks)
        {
            ChangedVersions.Enqueue(version);
        }

        ThrowIfFailing();
        IReadOnlyList<TaskRecord> found;
        lock (_gate)
        {
            found =
            [
                .. tasks.Select(v => (Version: v, Task: Find(v.Id)))
                    .Where(x => x.Task is not null && (x.Version.UpdatedAt is null || x.Task.UpdatedAt != x.Version.UpdatedAt))
                    .Select(x => AsRead(x.Task!.ToRecord(), x.Version)),
            ];
        }

        Interlocked.Add(ref _changedTextRead, found.Sum(task => task.Jobs.Sum(job => (long)job.Input.Length + (job.Result?.Length ?? 0) + (job.Error?.Length ?? 0))));

        AfterGetChanged?.Invoke();
        return Task.FromResult(found);
    }

    public Task<TaskCancellation?> CancelAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            if (Find(id, owner) is not { } task)
            {
                return Task.FromResult<TaskCancellation?>(null);
            }

            var open = task.Jobs.Where(j => !j.Status.IsFinal()).ToList();
            if (open.Count == 0)
            {
                return Task.FromResult<TaskCancellation?>(new TaskCancellation(task.ToRecord(), Changed: false));
            }

            var now = time.GetUtcNow();
            foreach (var job in open)
            {
                job.Status = JobState.Cancelled;
                job.FinishedAt = now;
            }

            task.RollUp(now);
            return Task.FromResult<TaskCancellation?>(new TaskCancellation(task.ToRecord(), Changed: true));
        }
    }

    public Task MarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            MarkEnqueuedCalls.Add([.. jobIds]);
            var now = time.GetUtcNow();
            foreach (var job in _tasks.SelectMany(t => t.Jobs).Where(j => jobIds.Contains(j.Id)))
            {
                job.EnqueuedAt = now;
            }

            return Task.CompletedTask;
        }
    }

    public Task UnmarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            foreach (var job in _tasks.SelectMany(t => t.Jobs).Where(j => j.Status == JobState.Queued && jobIds.Contains(j.Id)))
            {
                job.EnqueuedAt = null;
            }

            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<JobMessage>> FindUndispatchedAsync(TimeSpan staleAfter, int limit, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            var before = time.GetUtcNow() - staleAfter;
            IReadOnlyList<JobMessage> found =
            [
                .. _tasks
                    .SelectMany(t => t.Jobs.OrderBy(j => j.Seq).Select(j => (Task: t, Job: j)))
                    .Where(x => x.Job.Status == JobState.Queued && (x.Job.EnqueuedAt is null || x.Job.EnqueuedAt < before))
                    .Take(limit)
                    .Select(x => new JobMessage(x.Job.Id, x.Task.Id, x.Job.Type, x.Job.Input, x.Job.Attempts + 1, x.Job.TraceParent, Client: x.Task.Client)),
            ];
            return Task.FromResult(found);
        }
    }

    public Task<IReadOnlyList<JobMessage>> FindLongRunningAsync(TimeSpan runningFor, int taskLimit, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            var before = time.GetUtcNow() - runningFor;
            IReadOnlyList<JobMessage> found =
            [
                .. _tasks
                    .Where(t => t.Status == TaskState.Running && t.UpdatedAt < before)
                    .OrderBy(t => t.CreatedAt)
                    .Take(taskLimit)
                    .SelectMany(t => t.Jobs.Where(j => j.Status == JobState.Running && j.StartedAt < before).Select(j => (Task: t, Job: j)))
                    .Select(x => new JobMessage(x.Job.Id, x.Task.Id, x.Job.Type, x.Job.Input, x.Job.Attempts + 1, x.Job.TraceParent, Client: x.Task.Client)),
            ];
            return Task.FromResult(found);
        }
    }

    public Task<IReadOnlySet<Guid>> WhichRunningAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            IReadOnlySet<Guid> running = _tasks.SelectMany(t => t.Jobs).Where(j => j.Status == JobState.Running && jobIds.Contains(j.Id)).Select(j => j.Id).ToHashSet();
            return Task.FromResult(running);
        }
    }

    public Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            if (_tasks.SelectMany(t => t.Jobs).SingleOrDefault(j => j.Id == jobId) is not { } job || job.Status.IsFinal())
            {
                return Task.FromResult(false);
            }
        }
        SetJob(jobId, newState, error: reason);
        return Task.FromResult(true);
    }

    public Task<bool> MarkLostDeadAsync(Guid jobId, int attempts, string reason, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            if (_tasks.SelectMany(t => t.Jobs).SingleOrDefault(j => j.Id == jobId) is not { Status: JobState.Running } job || job.Attempts != attempts)
            {
                return Task.FromResult(false);
            }
        }
        SetJob(jobId, JobState.Dead, error: reason);
        return Task.FromResult(true);
    }

    public Task<IReadOnlySet<Guid>> FindRunnableAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The orchestrator runs no job.");

    public Task<IReadOnlySet<Guid>> StartAsync(IReadOnlyCollection<JobAttempt> jobs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The orchestrator runs no job.");

    public Task<IReadOnlySet<Guid>> CompleteAsync(IReadOnlyCollection<JobResult> results, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The orchestrator runs no job.");

    public Task<int> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_gate)
        {
            var old = _tasks.Where(t => t.Status.IsFinal() && t.CreatedAt < cutoff && t.UpdatedAt < cutoff).OrderBy(t => t.CreatedAt).Take(limit).ToList();
            foreach (var task in old)
            {
                _tasks.Remove(task);
                if (task.Key is { } key)
                {
                    _byKey.Remove((task.Owner, key));
                }
            }

            DeleteCalls.Enqueue(limit);
            return Task.FromResult(old.Count);
        }
    }

    /// <summary>What the owner's tasks count against its quota (<see cref="NewTask.StoredBytes"/> of each).</summary>
    public long StoredBytes(string owner)
    {
        lock (_gate)
        {
            return _tasks.Where(t => t.Owner == owner).Sum(t => t.Bytes);
        }
    }

    /// <summary>Every version GetChangedAsync was asked for, in order.</summary>
    public ConcurrentQueue<TaskVersion> ChangedVersions { get; } = new();

    /// <summary>The characters of inputs, results and errors GetChangedAsync returned, in all.</summary>
    public long ChangedTextRead => Interlocked.Read(ref _changedTextRead);

    private long _changedTextRead;

    // As the store reads it then: inputs as "" (WithoutInputs), the settled jobs' results and errors as null.
    private static TaskRecord AsRead(TaskRecord task, TaskVersion version) => task with
    {
        Jobs =
        [
            .. task.Jobs.Select(job => job with
            {
                Input = version.WithoutInputs ? "" : job.Input,
                Result = version.SettledJobs?.Contains(job.Id) == true ? null : job.Result,
                Error = version.SettledJobs?.Contains(job.Id) == true ? null : job.Error,
            }),
        ],
    };

    /// <summary>The limit of each <see cref="DeleteFinishedBeforeAsync"/> call.</summary>
    public ConcurrentQueue<int> DeleteCalls { get; } = new();

    /// <summary>
    /// Does what a worker does to a job (start, finish, fail), rolls the task up and, unless <paramref name="announce"/>
    /// is false (a lost signal), calls <see cref="Changed"/>.
    /// </summary>
    public void SetJob(Guid jobId, JobState state, string? result = null, string? error = null, bool announce = true)
    {
        SetJobQuietly(jobId, state, result, error);
        if (announce)
        {
            Changed?.Invoke(jobId);
        }
    }

    private void SetJobQuietly(Guid jobId, JobState state, string? result, string? error)
    {
        lock (_gate)
        {
            var task = _tasks.Single(t => t.Jobs.Any(j => j.Id == jobId));
            var job = task.Jobs.Single(j => j.Id == jobId);
            var now = time.GetUtcNow();
            job.Status = state;
            job.Result = result ?? job.Result;
            job.Error = error ?? job.Error;
            if (state == JobState.Running)
            {
                job.Attempts++;
                job.StartedAt = now;
            }
            else if (state.IsFinal())
            {
                job.FinishedAt = now;
            }

            task.RollUp(now);
        }
    }

    public DateTimeOffset? EnqueuedAt(Guid jobId)
    {
        lock (_gate)
        {
            return _tasks.SelectMany(t => t.Jobs).Single(j => j.Id == jobId).EnqueuedAt;
        }
    }

    public string? TraceParentOf(Guid taskId)
    {
        lock (_gate)
        {
            return Find(taskId)?.TraceParent;
        }
    }

    public string? ClientOf(Guid taskId)
    {
        lock (_gate)
        {
            return Find(taskId)?.Client;
        }
    }

    private StoredTask? Find(Guid id, string? owner = null) => _tasks.Find(t => t.Id == id && (owner is null || t.Owner == owner));

    private void ThrowIfFailing()
    {
        if (FailWith is { } error)
        {
            throw error;
        }
    }

    private sealed class StoredTask(Guid id, string? goal, string? key, string? traceParent, string? client, string owner, DateTimeOffset now)
    {
        public Guid Id { get; } = id;
        public string? Goal { get; } = goal;
        public string? Key { get; } = key;
        public long Bytes { get; init; }
        public string? TraceParent { get; } = traceParent;
        public string? Client { get; } = client;
        public string Owner { get; } = owner;
        public DateTimeOffset CreatedAt { get; } = now;
        public DateTimeOffset UpdatedAt { get; private set; } = now;
        public TaskState Status { get; private set; } = TaskState.Queued;
        public List<StoredJob> Jobs { get; init; } = [];

        public void RollUp(DateTimeOffset now)
        {
            // Strictly later each time, as two transactions' now() in PostgreSQL practically are.
            UpdatedAt = now > UpdatedAt ? now : UpdatedAt.AddTicks(10);
            if (Jobs.Any(j => !j.Status.IsFinal()))
            {
                Status = Jobs.All(j => j.Status == JobState.Queued) ? TaskState.Queued : TaskState.Running;
            }
            else if (Jobs.Any(j => j.Status is JobState.Failed or JobState.Dead))
            {
                Status = TaskState.Failed;
            }
            else
            {
                Status = Jobs.Any(j => j.Status == JobState.Cancelled) ? TaskState.Cancelled : TaskState.Succeeded;
            }
        }

        public TaskRecord ToRecord() => new(
            Id, Status, Goal, CreatedAt, UpdatedAt,
            [.. Jobs.Select(j => new JobRecord(j.Id, j.Seq, j.Type, j.Input, j.Status, j.Attempts, j.Result, j.Error, j.StartedAt, j.FinishedAt))]);

        public TaskSummary ToSummary() => new(Id, Status, Goal, CreatedAt, UpdatedAt, Jobs.Count, Jobs.Count(j => j.Status.IsFinal()));
    }

    private sealed class StoredJob(Guid id, int seq, string type, string input, string? traceParent)
    {
        public Guid Id { get; } = id;
        public int Seq { get; } = seq;
        public string Type { get; } = type;
        public string Input { get; } = input;
        public string? TraceParent { get; } = traceParent;
        public JobState Status { get; set; } = JobState.Queued;
        public int Attempts { get; set; }
        public string? Result { get; set; }
        public string? Error { get; set; }
        public DateTimeOffset? EnqueuedAt { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? FinishedAt { get; set; }
    }
}
