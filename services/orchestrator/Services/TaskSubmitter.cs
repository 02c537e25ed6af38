using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Queue;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Services;

/// <summary>
/// Stores a task, then sends its jobs to Redis (docs/queue.md, steps 1 and 2). PostgreSQL is the truth: once the
/// transaction committed the task is accepted, whatever Redis does; jobs Redis did not take are the dispatcher's.
/// </summary>
public sealed partial class TaskSubmitter(
    ITaskRepository tasks,
    IJobQueue queue,
    IOptions<TasksOptions> options,
    TimeProvider time,
    ILogger<TaskSubmitter> logger) : IAsyncDisposable
{
    // Concurrent requests mark their jobs enqueued together (group commit): one UPDATE and one commit for every task
    // sent while the previous marks were written, instead of one each. A quiet orchestrator still marks at once.
    private const int MarkBatchTasks = 256;
    private const int MarkBatchesInFlight = 2;

    private readonly Batcher<Guid[], bool> _marks = new(
        async (batch, cancellationToken) =>
        {
            await tasks.MarkEnqueuedAsync([.. batch.SelectMany(static ids => ids)], cancellationToken);
            return static _ => true;
        },
        MarkBatchTasks,
        MarkBatchesInFlight,
        options.Value.EnqueueTimeout);

    public ValueTask DisposeAsync() => _marks.DisposeAsync();

    public async Task<CreatedTask> SubmitAsync(NewTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);

        var created = await tasks.CreateAsync(task, cancellationToken);
        if (!created.Created)
        {
            // A repeat of an earlier request (same Idempotency-Key): nothing new to send. Its jobs were sent then,
            // or are the dispatcher's if that failed.
            return created;
        }

        await SendAsync(created.Task, task.TraceParent);
        return created;
    }

    // After the commit the client's cancellation no longer matters: the task exists, so try to send it now rather
    // than leave it to the dispatcher's next round, within Tasks:EnqueueTimeout: the request waits no longer for Redis,
    // nor for the mark.
    private async Task SendAsync(TaskRecord task, string? traceParent)
    {
        var now = time.GetUtcNow();
        var messages = task.Jobs
            .Where(job => job.Status == JobState.Queued)
            .OrderBy(job => job.Seq)
            .Select(job => new JobMessage(job.Id, task.Id, job.Type, job.Input, Attempt: 1, traceParent, now))
            .ToList();
        if (messages.Count == 0)
        {
            return;
        }

        try
        {
            await queue.EnqueueAsync(messages, CancellationToken.None).WaitAsync(options.Value.EnqueueTimeout, time, CancellationToken.None);
        }
        catch (Exception error)
        {
            LogEnqueueFailed(logger, task.Id, messages.Count, error);
            return;
        }

        try
        {
            await _marks.SubmitAsync([.. messages.Select(m => m.JobId)], CancellationToken.None);
        }
        catch (Exception error)
        {
            // Queued in Redis but not marked: the dispatcher finds them, sees Redis holds them and only marks them.
            LogMarkFailed(logger, task.Id, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Task {TaskId} is stored but its {JobCount} jobs could not be sent to the queue; the dispatcher will send them")]
    private static partial void LogEnqueueFailed(ILogger logger, Guid taskId, int jobCount, Exception error);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The jobs of task {TaskId} are queued but could not be marked enqueued; the dispatcher will mark them")]
    private static partial void LogMarkFailed(ILogger logger, Guid taskId, Exception error);
}
