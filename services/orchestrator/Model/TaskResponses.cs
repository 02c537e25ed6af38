using AgentSystem.Contracts;
using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Model;

// The JSON shapes of docs/api.md. Times are UTC DateTimes so they serialise with a "Z", as the contract shows.

public sealed record JobResponse(Guid Id, string Type, string Input, JobState Status, int Attempts, string? Result, string? Error);

/// <summary>A task with its jobs: <c>GET /tasks/{id}</c>, the events stream, and the answers of POST and DELETE.</summary>
public sealed record TaskResponse(
    Guid Id, TaskState Status, string? Goal, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyList<JobResponse> Jobs)
{
    public static TaskResponse From(TaskRecord task)
    {
        ArgumentNullException.ThrowIfNull(task);

        return new(
            task.Id,
            task.Status,
            task.Goal,
            task.CreatedAt.UtcDateTime,
            task.UpdatedAt.UtcDateTime,
            [.. task.Jobs.OrderBy(job => job.Seq).Select(job => new JobResponse(job.Id, job.Type, job.Input, job.Status, job.Attempts, job.Result, job.Error))]);
    }
}

/// <summary>
/// The events stream's <c>change</c> event: what changed since the stream's previous event, the task's status and
/// <c>updatedAt</c> always, and of its jobs only those whose status, attempts, result or error changed (a job's type and
/// input never do). A client merges it into the task of the stream's first event by job id.
/// </summary>
public sealed record TaskChangeResponse(TaskState Status, DateTime UpdatedAt, IReadOnlyList<JobChangeResponse> Jobs)
{
    /// <summary>
    /// Whether <paramref name="next"/> can be told as a change of <paramref name="sent"/> (both hold the same jobs);
    /// <paramref name="change"/> is then null when nothing the API shows changed.
    /// </summary>
    public static bool TryBetween(TaskRecord sent, TaskRecord next, out TaskChangeResponse? change)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentNullException.ThrowIfNull(next);

        change = null;
        var before = sent.Jobs.ToDictionary(job => job.Id);
        if (before.Count != next.Jobs.Count || !next.Jobs.All(job => before.ContainsKey(job.Id)))
        {
            return false;
        }

        var jobs = next.Jobs
            .Where(job => before[job.Id] is var old
                && (old.Status != job.Status || old.Attempts != job.Attempts || old.Result != job.Result || old.Error != job.Error))
            .OrderBy(job => job.Seq)
            .Select(job => new JobChangeResponse(job.Id, job.Status, job.Attempts, job.Result, job.Error))
            .ToList();
        if (jobs.Count > 0 || sent.Status != next.Status || sent.UpdatedAt != next.UpdatedAt)
        {
            change = new(next.Status, next.UpdatedAt.UtcDateTime, jobs);
        }

        return true;
    }
}

/// <summary>A job's part of a <see cref="TaskChangeResponse"/>: the fields that change while it runs.</summary>
public sealed record JobChangeResponse(Guid Id, JobState Status, int Attempts, string? Result, string? Error);

/// <summary>An item of <c>GET /tasks</c>: a task without its jobs, with counts instead.</summary>
public sealed record TaskSummaryResponse(
    Guid Id, TaskState Status, string? Goal, DateTime CreatedAt, DateTime UpdatedAt, int JobCount, int CompletedJobs)
{
    public static TaskSummaryResponse From(TaskSummary task)
    {
        ArgumentNullException.ThrowIfNull(task);

        return new(task.Id, task.Status, task.Goal, task.CreatedAt.UtcDateTime, task.UpdatedAt.UtcDateTime, task.JobCount, task.CompletedJobs);
    }
}

/// <summary><see cref="Total"/> counts up to <see cref="Limits.MaxListedItems"/>; beyond it <see cref="TotalExact"/> is false.</summary>
public sealed record TaskPageResponse(IReadOnlyList<TaskSummaryResponse> Items, int Page, int PageSize, long Total, bool TotalExact)
{
    public static TaskPageResponse From(TaskPage page)
    {
        ArgumentNullException.ThrowIfNull(page);

        return new([.. page.Items.Select(TaskSummaryResponse.From)], page.Page, page.PageSize, page.Total, page.TotalExact);
    }
}
