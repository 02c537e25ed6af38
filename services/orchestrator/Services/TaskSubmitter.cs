using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
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
    // Concurrent requests are stored together (group commit): one INSERT statement and one commit for every task
    // posted while the previous batch was written, instead of one each; a quiet orchestrator still writes at once.
    // Their jobs, written as enqueued, then go to Redis together (one script call per batch).
    private const int BatchTasks = 256;
    private const int BatchesInFlight = 2;

    // Npgsql's default command timeout: what one request's insert could take before batching.
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(30);

    private readonly Batcher<NewTask, CreatedTask> _creates = new(
        (batch, cancellationToken) => CreateAsync(tasks, logger, batch, cancellationToken),
        BatchTasks,
        BatchesInFlight,
        CreateTimeout,
        "store tasks");

    private readonly Batcher<IReadOnlyList<JobMessage>, bool> _sends = new(
        async (batch, cancellationToken) =>
        {
            await queue.EnqueueAsync([.. batch.SelectMany(static messages => messages)], cancellationToken);
            return static _ => true;
        },
        BatchTasks,
        BatchesInFlight,
        options.Value.EnqueueTimeout,
        "send jobs");

    // An owner refused for its quota is refused again without a write for a few seconds: each refusal had written its
    // task and jobs before the quota's check rolled them back, the batch's and then the task's own (helper-92: 200
    // refused tasks of 1 MB made 366 MB of WAL). What the owner holds can fall meanwhile (retention), so not for long.
    private static readonly TimeSpan RecentlyFull = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (long Stored, long Quota, long At)> _full = new(StringComparer.Ordinal);

    /// <summary>Batches written so far, and the tasks in them (diagnostics and tests).</summary>
    public (long Batches, long Tasks) Created => _creates.Written;

    public async ValueTask DisposeAsync()
    {
        await _creates.DisposeAsync();
        await _sends.DisposeAsync();
    }

    /// <summary>
    /// Stores the task (with the tasks posted at the same time), then sends its jobs into its client's lane
    /// (<see cref="NewTask.Client"/>). A cancelled wait does not take the task back: stored after its caller gave up,
    /// its jobs are sent or left to the dispatcher like any other's.
    /// </summary>
    public async Task<CreatedTask> SubmitAsync(NewTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);

        if (RecentlyRefused(task) is { } refusal)
        {
            // A repeat of a stored task is answered with it, as the store would (a read, no write).
            return task.IdempotencyKey is { } key && await tasks.GetByKeyAsync(task.Owner!, key, cancellationToken) is { } stored
                ? new CreatedTask(stored, Created: false)
                : throw refusal;
        }

        CreatedTask created;
        try
        {
            created = await _creates.SubmitAsync(task, cancellationToken);
        }
        catch (StorageQuotaExceededException full) when (task.Owner is { } owner && full.Stored is { } stored)
        {
            _full[owner] = (stored, full.Quota, time.GetTimestamp());
            throw;
        }

        if (!created.Created)
        {
            // A repeat of an earlier request (same Idempotency-Key): nothing new to send. Its jobs were sent then,
            // or are the dispatcher's if that failed.
            return created;
        }

        await SendAsync(created.Task, task.TraceParent, task.Client);
        return created;
    }

    /// <summary>The refusal a task would get from the store, when its owner was refused in the last few seconds and it does not fit what it held then.</summary>
    private StorageQuotaExceededException? RecentlyRefused(NewTask task) =>
        task is { Owner: { } owner, OwnerQuota: > 0 } && _full.TryGetValue(owner, out var full) && time.GetElapsedTime(full.At) < RecentlyFull
            && full.Stored + task.StoredBytes > full.Quota
            ? new StorageQuotaExceededException(full.Quota, task.StoredBytes, full.Stored)
            : null;

    // A batch PostgreSQL rejects (a task it cannot store) is written again task by task, so that only the bad task's
    // request fails, not its batch-mates'. One that passes a key's storage quota is written again key by key, so that
    // the other keys' tasks still go together and only that key's go one by one (those that fit are kept).
    private static async Task<Func<NewTask, CreatedTask>> CreateAsync(
        ITaskRepository tasks, ILogger logger, IReadOnlyList<NewTask> batch, CancellationToken cancellationToken)
    {
        try
        {
            var created = await tasks.CreateManyAsync(batch, cancellationToken);
            var byTask = new Dictionary<NewTask, CreatedTask>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < batch.Count; i++)
            {
                byTask[batch[i]] = created[i];
            }

            return task => byTask[task];
        }
        catch (Exception error) when (batch.Count > 1 && error is not OperationCanceledException)
        {
            var byOwner = batch.GroupBy(task => task.Owner ?? "").ToList();
            var parts = error is StorageQuotaExceededException && byOwner.Count > 1
                ? byOwner.Select(owned => (IReadOnlyList<NewTask>)[.. owned]).ToList()
                : [.. batch.Select(task => (IReadOnlyList<NewTask>)[task])];
            if (error is not StorageQuotaExceededException)
            {
                LogBatchFailed(logger, batch.Count, error);   // a key at its quota is no fault of the store's
            }

            var outcomes = new Dictionary<NewTask, Func<CreatedTask>>(ReferenceEqualityComparer.Instance);
            foreach (var part in parts)
            {
                Func<NewTask, CreatedTask> created;
                try
                {
                    created = await CreateAsync(tasks, logger, part, cancellationToken);
                }
                catch (Exception partError) when (partError is not OperationCanceledException)
                {
                    var failure = ExceptionDispatchInfo.Capture(partError);   // a lone task's own failure
                    created = _ =>
                    {
                        failure.Throw();
                        return null!;
                    };
                }

                foreach (var task in part)
                {
                    outcomes[task] = () => created(task);
                }
            }

            return task => outcomes[task]();
        }
    }

    // After the commit the client's cancellation no longer matters: the task exists, so try to send it now rather
    // than leave it to the dispatcher, within Tasks:EnqueueTimeout: the request waits no longer for Redis. Jobs not
    // sent are unmarked, so the dispatcher's next round sends them (if even that fails, once they are stale).
    private async Task SendAsync(TaskRecord task, string? traceParent, string? client)
    {
        var now = time.GetUtcNow();
        var messages = task.Jobs
            .Where(job => job.Status == JobState.Queued)
            .OrderBy(job => job.Seq)
            .Select(job => new JobMessage(job.Id, task.Id, job.Type, job.Input, Attempt: 1, traceParent, now, client))
            .ToList();
        if (messages.Count == 0)
        {
            return;
        }

        try
        {
            await _sends.SubmitAsync(messages, CancellationToken.None);
            return;
        }
        catch (Exception error)
        {
            LogEnqueueFailed(logger, task.Id, messages.Count, error);
        }

        try
        {
            await tasks.UnmarkEnqueuedAsync([.. messages.Select(m => m.JobId)], CancellationToken.None)
                .WaitAsync(options.Value.EnqueueTimeout, time, CancellationToken.None);
        }
        catch (Exception error)
        {
            LogUnmarkFailed(logger, task.Id, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {TaskCount} tasks could not be stored; storing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int taskCount, Exception error);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Task {TaskId} is stored but its {JobCount} jobs could not be sent to the queue; the dispatcher will send them")]
    private static partial void LogEnqueueFailed(ILogger logger, Guid taskId, int jobCount, Exception error);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The unsent jobs of task {TaskId} could not be unmarked; the dispatcher will send them once they are stale")]
    private static partial void LogUnmarkFailed(ILogger logger, Guid taskId, Exception error);
}
