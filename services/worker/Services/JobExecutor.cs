using System.Globalization;
using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Options;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Services;

public enum JobOutcomeKind
{
    /// <summary>The handler returned a result.</summary>
    Succeeded,

    /// <summary>This attempt failed (an exception, the job timeout): retry.</summary>
    Failed,

    /// <summary>It can never succeed (unknown type, bad input): fail the job without retries.</summary>
    Rejected,

    /// <summary>The worker is shutting down and cancelled the job: hand it back to the queue.</summary>
    Aborted,

    /// <summary>Its task was cancelled (its row is final already): acknowledge it, never retry it.</summary>
    Cancelled,
}

public sealed record JobOutcome(JobOutcomeKind Kind, string? Output, string? Error)
{
    public bool Succeeded => Kind == JobOutcomeKind.Succeeded;
}

/// <summary>
/// Runs one job through its handler under the job timeout and says what became of it; it never throws. The handler's
/// token is also cancelled when the job's task is (<see cref="CancellationListener"/>).
/// </summary>
public sealed partial class JobExecutor(
    JobHandlerRegistry registry, IOptions<WorkerOptions> options, ILogger<JobExecutor> logger, CancellationListener? cancellations = null)
{
    /// <summary>Whether the job may run before PostgreSQL says it may (its handler is <see cref="IJobHandler.SideEffectFree"/>).</summary>
    public bool RunsUnchecked(JobMessage job) => registry.TryGet(job?.Type ?? string.Empty, out var handler) && handler.SideEffectFree;

    /// <param name="abort">Cancelled when the worker gives up on its running jobs at shutdown.</param>
    public async Task<JobOutcome> ExecuteAsync(JobMessage job, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(job);

        if (!registry.TryGet(job.Type, out var handler))
        {
            return new JobOutcome(JobOutcomeKind.Rejected, null, $"No handler for job type '{job.Type}'.");
        }

        var timeout = options.Value.JobTimeout;
        using var watch = cancellations?.Watch(job);
        var cancelledByRequest = watch?.Token ?? CancellationToken.None;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(abort, cancelledByRequest);
        cancel.CancelAfter(timeout);
        try
        {
            // WaitAsync: a handler that ignores its token still lets the worker move on when it times out or stops.
            var output = await handler.HandleAsync(job, cancel.Token).WaitAsync(cancel.Token);
            return new JobOutcome(JobOutcomeKind.Succeeded, output, null);
        }
        catch (OperationCanceledException) when (cancelledByRequest.IsCancellationRequested)
        {
            return new JobOutcome(JobOutcomeKind.Cancelled, null, "Its task was cancelled.");
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return new JobOutcome(JobOutcomeKind.Aborted, null, "The worker stopped before the job finished.");
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            LogTimedOut(logger, job.JobId, job.Type, timeout);
            return new JobOutcome(JobOutcomeKind.Failed, null, string.Create(CultureInfo.InvariantCulture, $"Timed out after {timeout}."));
        }
        catch (JobInputException error)
        {
            LogRejected(logger, job.JobId, job.Type, ForLog(error.Message));
            return new JobOutcome(JobOutcomeKind.Rejected, null, error.Message);
        }
        catch (Exception error)
        {
            // A failing job must not stop the worker: it is reported, counted and retried by the queue.
            LogJobFailed(logger, error, job.JobId, job.Type, job.Attempt);
            return new JobOutcome(JobOutcomeKind.Failed, null, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of type {JobType} failed on attempt {Attempt}")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, Guid jobId, string jobType, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of type {JobType} timed out after {Timeout}")]
    private static partial void LogTimedOut(ILogger logger, Guid jobId, string jobType, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of type {JobType} rejected its input: {Reason}")]
    private static partial void LogRejected(ILogger logger, Guid jobId, string jobType, string reason);

    /// <summary>The most of a rejection's reason a log line holds: it can be the job's input (a fail job's), which a client sends.</summary>
    public const int LoggedReasonChars = 300;

    /// <summary>The reason cut to <see cref="LoggedReasonChars"/>: whole, 16 jobs of 64 KB each grew the logs by twice their input (helper-105).</summary>
    public static string ForLog(string reason) =>
        reason.Length <= LoggedReasonChars ? reason : string.Create(CultureInfo.InvariantCulture, $"{reason.AsSpan(0, LoggedReasonChars)}... ({reason.Length} characters)");
}
