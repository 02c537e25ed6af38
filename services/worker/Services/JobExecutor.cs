using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;

namespace AgentSystem.Worker.Services;

public sealed record JobOutcome(Guid JobId, bool Succeeded, string? Output, string? Error);

/// <summary>Runs one job through its handler and counts the result; the queue consumer of the next issue calls it.</summary>
public sealed partial class JobExecutor(JobHandlerRegistry registry, WorkerMetrics metrics, ILogger<JobExecutor> logger)
{
    public async Task<JobOutcome> ExecuteAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);

        if (!registry.TryGet(job.Type, out var handler))
        {
            metrics.RecordFailed();
            return new JobOutcome(job.JobId, false, null, $"No handler for job type '{job.Type}'.");
        }

        try
        {
            var output = await handler.HandleAsync(job, ct);
            metrics.RecordProcessed();
            return new JobOutcome(job.JobId, true, output, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A failing job must not stop the worker: it is reported, counted and retried by the queue.
            LogJobFailed(logger, ex, job.JobId, job.Type, job.Attempt);
            metrics.RecordFailed();
            return new JobOutcome(job.JobId, false, null, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of type {JobType} failed on attempt {Attempt}")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, Guid jobId, string jobType, int attempt);
}
