using AgentSystem.Contracts;

namespace AgentSystem.Store;

public sealed record NewJob(string Type, string Input);

/// <summary>
/// A task to store. <see cref="Client"/> is whose it is for the queue's fair share (<see cref="ClientId"/>; null for
/// none), kept so that the dispatcher re-sends its jobs into that client's lane. <see cref="Owner"/> is the API key
/// it came with (<see cref="Contracts.Owner"/>; null for none): only its owner sees it, and its
/// <see cref="IdempotencyKey"/> is unique among its owner's tasks. <see cref="OwnerQuota"/> is the most its owner may
/// store in bytes (0: no limit), against which the task counts <see cref="StoredBytes"/>.
/// </summary>
public sealed record NewTask(
    string? Goal, IReadOnlyList<NewJob> Jobs, string? IdempotencyKey, string? TraceParent, string? Client, string? Owner = null, long OwnerQuota = 0)
{
    /// <summary>
    /// What the task counts against its owner's quota from its submit until retention deletes it: its goal and inputs,
    /// and the most its jobs can add (<see cref="Limits.MaxBytesAddedByRun"/>), so that results are not counted as written.
    /// </summary>
    public long StoredBytes => Limits.Utf8Bytes(Goal) + Jobs.Sum(job => (long)Limits.Utf8Bytes(job.Input) + Limits.MaxBytesAddedByRun(job.Type, Limits.Utf8Bytes(job.Input)));
}

public sealed record JobRecord(
    Guid Id, int Seq, string Type, string Input, JobState Status, int Attempts, string? Result, string? Error,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

public sealed record TaskRecord(
    Guid Id, TaskState Status, string? Goal, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<JobRecord> Jobs);

public sealed record TaskSummary(
    Guid Id, TaskState Status, string? Goal, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int JobCount, int CompletedJobs);

/// <summary>A page of the task list; <see cref="Total"/> counts up to <see cref="Limits.MaxListedItems"/> (<see cref="TotalExact"/> false beyond).</summary>
public sealed record TaskPage(IReadOnlyList<TaskSummary> Items, int Page, int PageSize, long Total, bool TotalExact);

/// <summary>
/// A task and the updated_at last seen of it (null: not seen yet), for a reader that holds an earlier read of it (the
/// events hub) and needs only what it lacks. <see cref="WithoutInputs"/> leaves the jobs' inputs out (as ""): they never
/// change, and may be 1 MiB a task. <see cref="SettledJobs"/>, jobs the reader holds final, are read without their
/// result and error (null): a final job is never written again, so a task's results are read once each, not again at
/// every change of its other jobs.
/// </summary>
public readonly record struct TaskVersion(Guid Id, DateTimeOffset? UpdatedAt, bool WithoutInputs = false, IReadOnlyCollection<Guid>? SettledJobs = null);

/// <summary>The task after a cancel; <see cref="Changed"/> is false when it was already final and nothing was written.</summary>
public sealed record TaskCancellation(TaskRecord Task, bool Changed);

/// <summary><see cref="Created"/> is false when an earlier task had the same idempotency key: that task is returned.</summary>
public sealed record CreatedTask(TaskRecord Task, bool Created);

/// <summary>
/// A delivery of a job as the worker marks it running: <see cref="Attempt"/> counts from 1; <see cref="Elapsed"/> is how
/// long it had run when marked (by the worker's monotonic clock), so the store records when it really started.
/// </summary>
public sealed record JobAttempt(Guid JobId, int Attempt, TimeSpan Elapsed);

/// <summary>
/// A job's result as the worker stores it: the delivery's <see cref="Attempt"/> and how long it ran
/// (<see cref="Elapsed"/>, by the worker's monotonic clock), which the store records for a job it never marked running.
/// </summary>
public sealed record JobResult(Guid JobId, string Result, int Attempt, TimeSpan Elapsed);
