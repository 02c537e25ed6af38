using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.Extensions.Options;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;

namespace AgentSystem.Chat.Apis;

/// <summary>
/// A streamed reply (docs/api.md): <c>data: {"delta":"..."}</c> per piece as the provider produces it, then
/// <c>data: {"conversationId":"...","provider":"..."}</c> once the conversation is stored (with <c>"truncated":true</c>
/// when the reply was cut at a chat message's size, <see cref="ReplyLimit"/>), and <c>data: [DONE]</c>.
/// A <c>: keep-alive</c> comment goes out whenever the provider is silent for <see cref="ChatOptions.Heartbeat"/>.
/// Whatever fails after the headers (the provider, the store) ends the stream with an <c>event: error</c> holding a
/// ProblemDetails and no <c>[DONE]</c>; nothing is stored then.
/// </summary>
public sealed partial class ChatStreamResult(
    IAsyncEnumerator<string> deltas, Task<bool> first, string provider, string? owner, Guid? conversationId, List<ChatMessage> incoming) : IResult
{
    public const string ContentType = EventStream.ContentType;

    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] ErrorPrefix = "event: error\ndata: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        var services = httpContext.RequestServices;
        var store = services.GetRequiredService<IConversationStore>();
        var heartbeat = services.GetRequiredService<IOptions<ChatOptions>>().Value.Heartbeat;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILogger<ChatStreamResult>>();
        var cancellationToken = httpContext.RequestAborted;

        var response = httpContext.Response;
        EventStream.Begin(httpContext);
        await response.StartAsync(cancellationToken);

        try
        {
            var reply = new StringBuilder();
            var limit = new ReplyLimit();
            var next = first;
            while (true)
            {
                while (!await FinishesWithinAsync(next, heartbeat, time, cancellationToken))
                {
                    await EventStream.WriteAsync(response.Body, [KeepAlive], cancellationToken);
                }

                bool hasNext;
                try
                {
                    hasNext = await next;
                }
                catch (ChatProviderException error)
                {
                    await WriteErrorAsync(response, ChatApi.ProviderFailed(error), cancellationToken);
                    return;
                }

                // Past a chat message's size the provider is not read further (below).
                var piece = hasNext ? limit.Take(deltas.Current) : limit.End();
                if (piece.Length > 0)
                {
                    reply.Append(piece);
                    await WriteDataAsync(response, new ChatDelta(piece), ChatJsonContext.Default.ChatDelta, cancellationToken);
                }

                if (limit.Truncated)
                {
                    // Stop the provider now (its HTTP response closes), not after the store's write.
                    ReplyLimit.LogTruncated(services.GetRequiredService<ILogger<IChatProvider>>(), provider, Limits.MaxChatMessageBytes);
                    await deltas.DisposeAsync();
                    break;
                }

                if (!hasNext)
                {
                    break;
                }

                next = deltas.MoveNextAsync().AsTask();
            }

            Guid id;
            try
            {
                id = await ChatApi.SaveAsync(store, owner, conversationId, [.. incoming, new ChatMessage(ChatRoles.Assistant, reply.ToString())], cancellationToken);
            }
            catch (KeyNotFoundException)
            {
                await WriteErrorAsync(response, ChatApi.NotFound(conversationId!.Value), cancellationToken);
                return;
            }
            catch (ConversationFullException full)
            {
                await WriteErrorAsync(response, ChatApi.Full(full), cancellationToken);
                return;
            }
            catch (StorageQuotaExceededException full)
            {
                await WriteErrorAsync(response, ChatApi.QuotaUsedUp(full), cancellationToken);
                return;
            }
            catch (Exception error) when (error is DbException or TimeoutException)
            {
                LogStoreFailed(logger, error);
                await WriteErrorAsync(response, StoreUnavailable, cancellationToken);
                return;
            }

            await WriteDataAsync(response, new ChatStreamEnd(id, provider, limit.Truncated), ChatJsonContext.Default.ChatStreamEnd, cancellationToken);
            await EventStream.WriteAsync(response.Body, [Done], cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            // Anything unforeseen still ends the stream as the contract says rather than cutting it; logged here, once.
            LogStreamFailed(logger, error);
            try
            {
                await WriteErrorAsync(response, Unexpected, cancellationToken);
            }
            catch (Exception gone) when (gone is IOException or OperationCanceledException)
            {
                // The client is gone too.
            }
        }
    }

    /// <summary>True when <paramref name="task"/> finished (in any way: its outcome is the caller's to read) within <paramref name="interval"/>.</summary>
    internal static async Task<bool> FinishesWithinAsync(Task task, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(interval, time, cancellationToken);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            return false;
        }
        catch (Exception) when (task.IsCompleted)
        {
        }

        return true;
    }

    private static ProblemDetails StoreUnavailable => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "The conversation store is unavailable",
        Detail = "The reply could not be stored, so it is not part of the conversation. Try again shortly.",
    };

    private static ProblemDetails Unexpected => new()
    {
        Status = StatusCodes.Status500InternalServerError,
        Title = "The reply failed",
        Detail = "The chat service failed while streaming; the reply is not stored. It is logged on the server.",
    };

    private static Task WriteDataAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        EventStream.WriteAsync(response.Body, [DataPrefix, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), EventEnd], cancellationToken);

    private static Task WriteErrorAsync(HttpResponse response, ProblemDetails problem, CancellationToken cancellationToken) =>
        EventStream.WriteAsync(response.Body, [ErrorPrefix, JsonSerializer.SerializeToUtf8Bytes(problem, ChatJsonContext.Default.ProblemDetails), EventEnd], cancellationToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "A streamed reply failed; the stream ends with an error event")]
    private static partial void LogStreamFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A streamed reply could not be stored; the stream ends with an error event")]
    private static partial void LogStoreFailed(ILogger logger, Exception error);
}
