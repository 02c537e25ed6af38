using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;

namespace AgentSystem.Chat.Apis;

public static class ChatApi
{
    /// <summary>How much of a stored conversation goes to the provider with the new messages.</summary>
    public const int MaxHistoryMessages = 100;

    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static RouteGroupBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/chat").WithTags("Chat");
        api.MapPost("/", ChatAsync);
        api.MapGet("/conversations", ListConversationsAsync);
        api.MapGet("/conversations/{id:guid}", GetConversationAsync);
        return api;
    }

    public static async Task<Results<Ok<ChatResponse>, ServerSentEventsResult<string>, ProblemHttpResult>> ChatAsync(
        ChatRequest request, IChatProvider provider, IConversationStore store, IOptions<JsonOptions> json, HttpContext context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);

        var errors = ChatValidation.Validate(request);
        if (errors.Count > 0)
        {
            return ValidationProblem(errors);
        }

        List<ChatMessage> history = [];
        if (request.ConversationId is { } id)
        {
            if (await store.FindAsync(id, cancellationToken) is not { } conversation)
            {
                return ConversationNotFound(id);
            }

            history = [.. conversation.Messages.TakeLast(MaxHistoryMessages).Select(message => new ChatMessage(message.Role, message.Content))];
        }

        List<ChatMessage> incoming = [.. request.Messages!.Select(message => message!)];
        List<ChatMessage> prompt = [.. history, .. incoming];
        try
        {
            if (!request.Stream)
            {
                var reply = await provider.CompleteAsync(prompt, cancellationToken);
                var conversationId = await SaveAsync(store, request.ConversationId, [.. incoming, reply], cancellationToken);
                return TypedResults.Ok(new ChatResponse(conversationId, provider.Name, reply));
            }

            // The first piece is awaited here, so a provider that fails at once still gets a 502 rather than a broken stream.
            var deltas = provider.StreamAsync(prompt, cancellationToken).GetAsyncEnumerator(cancellationToken);
            context.Response.RegisterForDisposeAsync(deltas);
            var hasFirst = await deltas.MoveNextAsync();
            var events = StreamAsync(deltas, hasFirst, provider.Name, store, request.ConversationId, incoming, json.Value.SerializerOptions, cancellationToken);
            return TypedResults.ServerSentEvents(events);
        }
        catch (ChatProviderException error)
        {
            return TypedResults.Problem(ProviderFailed(error));
        }
    }

    public static async Task<Results<Ok<Conversation>, ProblemHttpResult>> GetConversationAsync(
        Guid id, IConversationStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } conversation ? TypedResults.Ok(conversation) : ConversationNotFound(id);

    /// <summary><c>?page=&amp;pageSize=</c>, the most recently active first; 422 naming the parameter when one is not usable.</summary>
    public static async Task<Results<Ok<ConversationPage>, ProblemHttpResult>> ListConversationsAsync(
        string? page, string? pageSize, IConversationStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var pageNumber = ParseInt(page, 1, "page", int.MaxValue, errors);
        var size = ParseInt(pageSize, DefaultPageSize, "pageSize", MaxPageSize, errors);
        if (errors.Count > 0)
        {
            return ValidationProblem(errors);
        }

        return TypedResults.Ok(await store.ListAsync(pageNumber, size, cancellationToken));
    }

    // data: {"delta":"..."} per piece, then data: {"conversationId":"...","provider":"..."} and data: [DONE] (docs/api.md).
    // A provider failing midway ends the stream with an "error" event holding a ProblemDetails, without [DONE], and nothing is stored.
    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        IAsyncEnumerator<string> deltas, bool hasNext, string provider, IConversationStore store, Guid? conversationId,
        List<ChatMessage> incoming, JsonSerializerOptions json, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reply = new StringBuilder();
        ChatProviderException? failure = null;
        while (hasNext)
        {
            reply.Append(deltas.Current);
            yield return Data(new ChatDelta(deltas.Current), json);
            (hasNext, failure) = await TryMoveNextAsync(deltas);
        }

        if (failure is not null)
        {
            yield return new SseItem<string>(Serialize(ProviderFailed(failure), json), "error");
            yield break;
        }

        var message = new ChatMessage(ChatRoles.Assistant, reply.ToString());
        var id = await SaveAsync(store, conversationId, [.. incoming, message], cancellationToken);
        yield return Data(new ChatStreamEnd(id, provider), json);
        yield return new SseItem<string>("[DONE]");
    }

    private static async Task<(bool HasNext, ChatProviderException? Failure)> TryMoveNextAsync(IAsyncEnumerator<string> deltas)
    {
        try
        {
            return (await deltas.MoveNextAsync(), null);
        }
        catch (ChatProviderException error)
        {
            return (false, error);
        }
    }

    private static SseItem<string> Data<T>(T value, JsonSerializerOptions json) => new(Serialize(value, json));

    // The API's own JSON settings (and source-generated contracts), so streamed JSON reads like the rest of the API.
    private static string Serialize<T>(T value, JsonSerializerOptions json) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)json.GetTypeInfo(typeof(T)));

    private static async Task<Guid> SaveAsync(IConversationStore store, Guid? conversationId, List<ChatMessage> messages, CancellationToken cancellationToken)
    {
        if (conversationId is not { } id)
        {
            return await store.CreateAsync(messages, cancellationToken);
        }

        await store.AppendAsync(id, messages, cancellationToken);
        return id;
    }

    private static int ParseInt(string? text, int fallback, string name, int max, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max)
        {
            return value;
        }

        errors[name] = [max == int.MaxValue ? $"'{name}' must be a whole number from 1." : $"'{name}' must be a whole number from 1 to {max}."];
        return fallback;
    }

    // 422, not the 400 of TypedResults.ValidationProblem: the request was well-formed, its content was not.
    private static ProblemHttpResult ValidationProblem(Dictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status422UnprocessableEntity });

    private static ProblemDetails ProviderFailed(ChatProviderException error) => new()
    {
        Status = StatusCodes.Status502BadGateway,
        Title = $"The chat provider '{error.Provider}' failed",
        Detail = error.Message,
    };

    private static ProblemHttpResult ConversationNotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Conversation not found", detail: $"No conversation has id {id}.");
}
