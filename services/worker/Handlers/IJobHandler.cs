using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

public interface IJobHandler
{
    /// <summary>The job type this handler runs, one of <see cref="JobTypes"/>.</summary>
    string Type { get; }

    Task<string> HandleAsync(JobMessage job, CancellationToken ct);
}
