using System.Text;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Store;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Apis;

/// <summary>
/// The <c>GET /tasks/{id}/events</c> stream: <c>event: task</c> with the task's JSON at once and whenever that JSON
/// changes (status, a job's state, attempts or result, updatedAt), each event flushed; it ends after the task reaches a
/// final status, and stops when the client goes away.
/// <para>
/// It polls the repository (<c>Events:PollInterval</c>, 250 ms): one primary-key read per watcher and interval, no
/// extra connection per stream and no SQL outside the Store library. LISTEN/NOTIFY would cut the latency, but would
/// need a trigger in the schema and a dedicated connection per orchestrator, for a page that a person watches.
/// </para>
/// </summary>
public sealed partial class TaskEventsResult(TaskRecord initial) : IResult
{
    public const string ContentType = "text/event-stream";

    private static readonly byte[] EventPrefix = "event: task\ndata: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public TaskRecord Initial { get; } = initial;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        var services = httpContext.RequestServices;
        var tasks = services.GetRequiredService<ITaskRepository>();
        var options = services.GetRequiredService<IOptions<EventsOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILogger<TaskEventsResult>>();
        var cancellationToken = httpContext.RequestAborted;

        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        // nginx (and the ingress controllers built on it) would buffer the stream otherwise.
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var task = Initial;
        byte[]? last = null;
        var lastWrite = time.GetTimestamp();
        try
        {
            while (true)
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(TaskResponse.From(task), OrchestratorJsonContext.Default.TaskResponse);
                if (last is null || !json.AsSpan().SequenceEqual(last))
                {
                    await response.Body.WriteAsync(EventPrefix, cancellationToken);
                    await response.Body.WriteAsync(json, cancellationToken);
                    await response.Body.WriteAsync(EventEnd, cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    last = json;
                    lastWrite = time.GetTimestamp();
                }

                if (task.Status.IsFinal())
                {
                    return;
                }

                await Task.Delay(options.PollInterval, time, cancellationToken);
                if (time.GetElapsedTime(lastWrite) >= options.Heartbeat)
                {
                    await response.Body.WriteAsync(KeepAlive, cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    lastWrite = time.GetTimestamp();
                }

                if (await tasks.GetAsync(task.Id, cancellationToken) is not { } next)
                {
                    return;
                }

                task = next;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Headers are sent: no ProblemDetails any more. End the stream; the client reconnects or polls.
            LogStreamFailed(logger, task.Id, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The events stream of task {TaskId} ended early: reading the task failed")]
    private static partial void LogStreamFailed(ILogger logger, Guid taskId, Exception error);
}
