using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

/// <summary>Fails at once, without retries, with the input as its error: a failure on demand for tests and demonstrations.</summary>
public sealed class FailHandler : IJobHandler
{
    public string Type => JobTypes.Fail;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        throw new JobInputException(string.IsNullOrWhiteSpace(job.Input) ? "failed as asked (a fail job)." : job.Input);
    }
}
