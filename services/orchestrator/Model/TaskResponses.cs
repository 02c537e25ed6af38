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
