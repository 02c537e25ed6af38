using AgentSystem.Orchestrator.Model;

namespace AgentSystem.Orchestrator.Services;

public interface ITaskStore
{
    Task<TaskRecord> CreateAsync(IReadOnlyList<NewJob> jobs, CancellationToken cancellationToken);

    Task<TaskRecord?> FindAsync(Guid id, CancellationToken cancellationToken);
}
