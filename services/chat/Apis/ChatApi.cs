using System.Globalization;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;

namespace AgentSystem.Chat.Apis;

public static class ChatApi
{
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

    public static async Task<Results<Ok<ChatResponse>, ChatStreamResult, ProblemHttpResult>> ChatAsync(
        HttpContext context, IChatProvider provider, IConversationStore store, IOptions<ChatOptions> options, TimeProvider time,
        ILogger<IChatProvider> logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);

        var (request, readError) = await JsonBody.ReadAsync(context.Request, ChatJsonContext.Default.ChatRequest, Limits.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        var errors = ChatValidation.Validate(request);
        if (errors.Count > 0)
        {
            return ValidationProblem(errors);
        }

        List<ChatMessage> history = [];
        if (request!.ConversationId is { } id)
        {
            // The provider sees the last messages of the history, not all of a long conversation.
            if (await store.FindAsync(id, owner, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, cancellationToken) is not { } conversation)
            {
                return ConversationNotFound(id);
            }

            // Refused before the provider is asked: its reply could not be stored (the store checks again, atomically).
            if (conversation.MessageCount + request.Messages!.Count + 1 > Limits.MaxConversationMessages)
            {
                return TypedResults.Problem(Full(new ConversationFullException(id, conversation.MessageCount, request.Messages.Count + 1)));
            }

            // Active from now: retention must not delete it while the provider answers (deleted meanwhile: a 404 as above).
            if (!await store.TouchAsync(id, owner, cancellationToken))
            {
                return ConversationNotFound(id);
            }

            history = [.. conversation.Messages.Select(message => new ChatMessage(message.Role, message.Content))];
        }

        List<ChatMessage> incoming = [.. request.Messages!.Select(message => message!)];
        if (await QuotaLeftAsync(store, owner, incoming, options.Value.MaxStoredBytesPerKey, cancellationToken) is { } overQuota)
        {
            return TypedResults.Problem(QuotaUsedUp(overQuota));
        }

        List<ChatMessage> prompt = [.. history, .. incoming];
        try
        {
            if (!request.Stream)
            {
                var answer = await provider.CompleteAsync(prompt, cancellationToken);
                var (content, truncated) = ReplyLimit.Apply(answer.Content);
                if (truncated)
                {
                    ReplyLimit.LogTruncated(logger, provider.Name, Limits.MaxChatMessageBytes);
                }

                var reply = answer with { Content = content };
                var conversationId = await SaveAsync(store, owner, request.ConversationId, [.. incoming, reply], cancellationToken);
                return TypedResults.Ok(new ChatResponse(conversationId, provider.Name, reply, truncated));
            }

            // A provider that fails at once still gets a 502 rather than a stream; one slower than a heartbeat to its
            // first piece gets the stream opened meanwhile, so no proxy in between times out.
            var deltas = provider.StreamAsync(prompt, cancellationToken).GetAsyncEnumerator(cancellationToken);
            context.Response.RegisterForDisposeAsync(deltas);
            var first = deltas.MoveNextAsync().AsTask();
            if (await ChatStreamResult.FinishesWithinAsync(first, options.Value.Heartbeat, time, cancellationToken))
            {
                await first;
            }

            return new ChatStreamResult(deltas, first, provider.Name, owner, request.ConversationId, incoming);
        }
        catch (ChatProviderException error)
        {
            return TypedResults.Problem(ProviderFailed(error));
        }
        catch (KeyNotFoundException) when (request.ConversationId is { } gone)
        {
            return ConversationNotFound(gone);
        }
        catch (ConversationFullException full)
        {
            return TypedResults.Problem(Full(full));
        }
        catch (StorageQuotaExceededException full)
        {
            return TypedResults.Problem(QuotaUsedUp(full));
        }
    }

    // Refused before the provider is asked when the messages and the largest reply would not fit (the store checks
    // again when it writes them, atomically: another request of the key may have filled it meanwhile).
    private static async Task<StorageQuotaExceededException?> QuotaLeftAsync(
        IConversationStore store, string? owner, List<ChatMessage> incoming, long quota, CancellationToken cancellationToken)
    {
        if (quota == 0 || !ChatOptions.IsCounted(owner))
        {
            return null;
        }

        var needed = ChatOptions.CountedBytes(incoming) + Limits.MaxChatMessageBytes;
        var stored = await store.StoredBytesAsync(owner!, cancellationToken);
        return stored + needed > quota ? new StorageQuotaExceededException(quota, needed, stored) : null;
    }

    public static async Task<Results<Ok<Conversation>, ProblemHttpResult>> GetConversationAsync(
        Guid id, HttpContext context, IConversationStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        return await store.FindAsync(id, owner, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, cancellationToken) is { } conversation
            ? TypedResults.Ok(conversation)
            : ConversationNotFound(id);
    }

    /// <summary><c>?page=&amp;pageSize=</c>, the most recently active first; 422 naming the parameter when one is not usable.</summary>
    public static async Task<Results<Ok<ConversationPage>, ProblemHttpResult>> ListConversationsAsync(
        string? page, string? pageSize, HttpContext context, IConversationStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var pageNumber = ParseInt(page, 1, "page", int.MaxValue, errors);
        var size = ParseInt(pageSize, DefaultPageSize, "pageSize", MaxPageSize, errors);
        if (errors.Count == 0 && Limits.BeyondListed(pageNumber, size, "conversations") is { } beyond)
        {
            errors["page"] = [beyond];
        }

        if (errors.Count > 0)
        {
            return ValidationProblem(errors);
        }

        return TypedResults.Ok(await store.ListAsync(owner, pageNumber, size, cancellationToken));
    }

    /// <summary>Stores the messages in a new conversation, or after the given one's; returns the conversation's id.</summary>
    /// <exception cref="KeyNotFoundException">The given conversation is gone.</exception>
    internal static async Task<Guid> SaveAsync(IConversationStore store, string? owner, Guid? conversationId, List<ChatMessage> messages, CancellationToken cancellationToken)
    {
        if (conversationId is not { } id)
        {
            return await store.CreateAsync(owner, messages, cancellationToken);
        }

        await store.AppendAsync(id, owner, messages, cancellationToken);
        return id;
    }

    // Names what failed behind the gateway (docs/api.md, "Upstream failures"), so the page does not read it as the
    // gateway being unreachable.
    internal static ProblemDetails ProviderFailed(ChatProviderException error) => new()
    {
        Status = StatusCodes.Status502BadGateway,
        Title = $"The chat provider '{error.Provider}' failed",
        Detail = error.Message,
        Extensions = { ["service"] = "chat provider" },
    };

    internal static ProblemDetails NotFound(Guid id) => new()
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Conversation not found",
        Detail = $"No conversation has id {id}.",
    };

    internal static ProblemDetails QuotaUsedUp(StorageQuotaExceededException error)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = StorageQuotaExceededException.Title,
            Detail = error.Detail("conversations", "these messages and their reply count up to",
                "A conversation is deleted after the retention period without a new message, which frees what it holds."),
        };
        foreach (var (name, value) in error.ProblemExtensions())
        {
            problem.Extensions[name] = value;
        }

        return problem;
    }

    internal static ProblemDetails Full(ConversationFullException error) => new()
    {
        Status = StatusCodes.Status409Conflict,
        Title = "The conversation is full",
        Detail = error.Message,
    };

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
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "The request is invalid",
            Detail = errors.Count == 1 ? errors.First().Value[0] : "See 'errors': each entry names a field and what is wrong with it.",
        });

    private static ProblemHttpResult ConversationNotFound(Guid id) => TypedResults.Problem(NotFound(id));
}
