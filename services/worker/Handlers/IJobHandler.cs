using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

public interface IJobHandler
{
    /// <summary>The job type this handler runs, one of <see cref="JobTypes"/>.</summary>
    string Type { get; }

    /// <summary>
    /// True when a run changes nothing outside its result and is short (bounded by the input limits): the worker then
    /// runs the job without first asking PostgreSQL whether it may, since the guarded result write drops the result of a
    /// job cancelled or final meanwhile. It also runs on the thread that starts its claim's jobs in turn, so it must not
    /// block: the jobs after it wait until it returns (only then are they handed on), their leases not yet renewed, and
    /// a wait past the visibility timeout has them redelivered. False (the default) for work that costs or acts elsewhere
    /// (a model call).
    /// </summary>
    bool SideEffectFree => false;

    Task<string> HandleAsync(JobMessage job, CancellationToken ct);
}
