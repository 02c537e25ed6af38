using System.Diagnostics;
using AgentSystem.Contracts;

namespace AgentSystem.Worker.Services;

/// <summary>The worker's traces: one consumer span per job, continuing the trace that enqueued it (JobMessage.TraceParent).</summary>
public static class WorkerTelemetry
{
    public const string SourceName = "AgentSystem.Worker";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// Sampled through <see cref="Source"/> when OpenTelemetry (or a test) listens; otherwise a plain activity with the
    /// same parent, as ASP.NET Core's hosting does, so the job's logs still carry the trace id of the request that
    /// enqueued it.
    /// </summary>
    public static Activity StartJob(JobMessage job)
    {
        ArgumentNullException.ThrowIfNull(job);

        ActivityContext.TryParse(job.TraceParent, null, isRemote: true, out var parent);
        var name = $"job {job.Type}";
        var activity = Source.StartActivity(name, ActivityKind.Consumer, parent);
        if (activity is null)
        {
            activity = new Activity(name);
            if (parent != default)
            {
                activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
            }

            activity.Start();
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("job.id", job.JobId);
            activity.SetTag("job.type", job.Type);
            activity.SetTag("job.attempt", job.Attempt);
            activity.SetTag("task.id", job.TaskId);
            activity.SetTag("messaging.system", "redis");
            activity.SetTag("messaging.operation.type", "process");
        }

        return activity;
    }
}
