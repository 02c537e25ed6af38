using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

public sealed record ChatRequestMessage(string Role, string Content);

public sealed record ChatRequest(IReadOnlyList<ChatRequestMessage> Messages, bool Stream);

public sealed record ChatReply(Guid? ConversationId, string? Provider, ChatRequestMessage? Message);

/// <summary>Typed HttpClient for the chat service (<c>POST /chat</c>, docs/api.md); its base address is Worker:ChatUrl.</summary>
public sealed class ChatClient(HttpClient http)
{
    private const int MaxErrorBody = 300;

    /// <summary>
    /// Returns the reply's content. Throws <see cref="JobInputException"/> when chat rejects the prompt itself (400, 413,
    /// 422: a retry cannot help) and <see cref="HttpRequestException"/> for anything else (down, 5xx, 429), which the
    /// queue retries.
    /// </summary>
    public async Task<string> AskAsync(string prompt, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("chat", UriKind.Relative))
        {
            Content = JsonContent.Create(new ChatRequest([new ChatRequestMessage("user", prompt)], Stream: false), WorkerJsonContext.Default.ChatRequest),
            Headers = { { Owner.HeaderName, Owner.Worker } },
        };
        using var response = await SendAsync(request, ct);

        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var message = string.Create(
                CultureInfo.InvariantCulture,
                $"chat answered {(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length <= MaxErrorBody ? body : body[..MaxErrorBody])}");
            throw response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity
                ? new JobInputException(message)
                : new HttpRequestException(message, null, response.StatusCode);
        }

        var reply = await response.Content.ReadFromJsonAsync(WorkerJsonContext.Default.ChatReply, ct);
        return reply?.Message?.Content ?? throw new InvalidOperationException("chat answered without a message content.");
    }

    // A connection that fails names chat's address ("Connection refused (chat:3001)"), and the job's error is shown to
    // the task's owner: that is said without the address (helper-92), which the worker's log keeps with the cause.
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (HttpRequestException error) when (error.StatusCode is null)
        {
            throw new HttpRequestException(error.HttpRequestError, $"the call to chat failed ({error.HttpRequestError}).", error);
        }
    }
}
