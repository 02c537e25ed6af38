using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Services;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace AgentSystem.Orchestrator.Apis;

/// <summary>
/// The <c>GET /tasks/{id}/events</c> stream: <c>event: task</c> with the whole task at once, then <c>event: change</c>
/// with what changed (<see cref="TaskChangeResponse"/>) whenever something the API shows changes, and the whole task
/// again as the last event, once it is final; each event flushed, a comment line after
/// <see cref="EventsOptions.Heartbeat"/> of silence. So a task whose 100 jobs finish one by one costs a stream twice
/// the finished task's size, not fifty times. It ends after the final status, or when the client goes away. It never
/// ends silently before that: when it cannot go on (the orchestrator stops, an unexpected failure) it sends
/// <c>event: error</c> with a ProblemDetails, and the client reconnects. The stream holds no database connection:
/// <see cref="TaskEventsHub"/> reads for all of them.
/// </summary>
public sealed partial class TaskEventsResult(TaskSubscription subscription) : IResult
{
    public const string ContentType = EventStream.ContentType;

    private static readonly byte[] TaskPrefix = "event: task\ndata: "u8.ToArray();
    private static readonly byte[] ChangePrefix = "event: change\ndata: "u8.ToArray();
    private static readonly byte[] ErrorPrefix = "event: error\ndata: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    // One serialization of each version of a task, shared by all its streams (the hub hands every stream the same
    // record): a task of 2 MB watched by 100 streams costs 2 MB, not 200. In the API's own JSON options (ASP.NET's
    // relaxed escaping), as its GET answers: the strict default writes '<' as six bytes.
    // Lazy: the table may run its factory once per stream when they ask at once, as they do after each change.
    private static readonly ConditionalWeakTable<TaskRecord, Lazy<byte[]>> Serialized = new();

    // Likewise the change to each version from the one before, for the streams that were sent that same one (as a
    // task's streams mostly were).
    private static readonly ConditionalWeakTable<TaskRecord, SerializedChanges> Changes = new();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        using var owned = subscription;
        var services = httpContext.RequestServices;
        var heartbeat = services.GetRequiredService<IOptions<EventsOptions>>().Value.Heartbeat;
        var logger = services.GetRequiredService<ILogger<TaskEventsResult>>();
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var taskJson = (JsonTypeInfo<TaskResponse>)json.GetTypeInfo(typeof(TaskResponse));
        var changeJson = (JsonTypeInfo<TaskChangeResponse>)json.GetTypeInfo(typeof(TaskChangeResponse));
        var cancellationToken = httpContext.RequestAborted;

        var response = httpContext.Response;
        EventStream.Begin(httpContext);

        TaskRecord? sent = null;
        try
        {
            while (true)
            {
                if (await subscription.NextAsync(heartbeat, cancellationToken) is not { } task)
                {
                    await EventStream.WriteAsync(response.Body, [KeepAlive], cancellationToken);
                    continue;
                }

                // A final version goes whole (and always differs from one before it: its status does).
                var final = task.Status.IsFinal();
                var (sameJobs, change) = sent is null || final ? (false, null) : Changes.GetValue(task, _ => new()).From(sent, task, changeJson);
                if (sameJobs && change is null)
                {
                    continue;   // a version that differs only in what the API does not show
                }

                if (sameJobs)
                {
                    await EventStream.WriteAsync(response.Body, [ChangePrefix, change!, EventEnd], cancellationToken);
                }
                else
                {
                    var data = Serialized.GetValue(task, record => new(() => JsonSerializer.SerializeToUtf8Bytes(TaskResponse.From(record), taskJson))).Value;
                    await EventStream.WriteAsync(response.Body, [TaskPrefix, data, EventEnd], cancellationToken);
                }

                sent = task;
                if (final)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (TaskEventsStoppedException stopped)
        {
            await TryWriteErrorAsync(response, StatusCodes.Status503ServiceUnavailable, "The event stream stopped", stopped.Message, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogStreamFailed(logger, error);
            await TryWriteErrorAsync(response, StatusCodes.Status500InternalServerError, "The event stream failed",
                "The stream could not go on; reconnect to follow the task.", cancellationToken);
        }
    }

    private static async Task TryWriteErrorAsync(HttpResponse response, int status, string title, string detail, CancellationToken cancellationToken)
    {
        var problem = JsonSerializer.SerializeToUtf8Bytes(
            new ProblemDetails { Status = status, Title = title, Detail = detail }, OrchestratorJsonContext.Default.ProblemDetails);
        try
        {
            await EventStream.WriteAsync(response.Body, [ErrorPrefix, problem, EventEnd], cancellationToken);
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client is gone as well.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "An events stream failed; it ended with an error event")]
    private static partial void LogStreamFailed(ILogger logger, Exception error);
}
