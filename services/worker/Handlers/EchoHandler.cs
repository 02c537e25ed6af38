using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

public sealed class EchoHandler : IJobHandler
{
    public string Type => JobTypes.Echo;

    public bool SideEffectFree => true;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Task.FromResult(job.Input);
    }
}
