using System.Collections.Concurrent;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;

namespace AgentSystem.Orchestrator.Services;

// Stand-in until the next issue replaces it with the PostgreSQL store; tasks are lost on restart.
public sealed class InMemoryTaskStore(TimeProvider time) : ITaskStore
{
    private readonly ConcurrentDictionary<Guid, TaskRecord> _tasks = new();

    public Task<TaskRecord> CreateAsync(IReadOnlyList<NewJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);

        var task = new TaskRecord(
            Guid.CreateVersion7(),
            TaskState.Queued,
            time.GetUtcNow(),
            [.. jobs.Select(job => new JobRecord(Guid.CreateVersion7(), job.Type, job.Input, JobState.Queued, Output: null))]);
        _tasks[task.Id] = task;
        return Task.FromResult(task);
    }

    public Task<TaskRecord?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        Task.FromResult(_tasks.GetValueOrDefault(id));
}
