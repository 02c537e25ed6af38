using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSystem.Chat.Model;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Providers;

/// <summary>
/// An OpenAI-compatible <c>POST {Llm:BaseUrl}/chat/completions</c> (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, LM Studio...).
/// Its text as the model sent it: the chat API makes it storable (<see cref="ReplyLimit"/>) and stops reading a stream
/// once the reply is too long.
/// </summary>
public sealed partial class OpenAiChatProvider(HttpClient http, IOptions<LlmOptions> options, ILogger<OpenAiChatProvider> logger) : IChatProvider
{
    public const string ProviderName = "openai-compatible";

    private const string DataPrefix = "data:";

    public string Name => ProviderName;

    public async Task<ChatMessage> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(messages, stream: false, cancellationToken);
        var completion = await Guard(() => response.Content.ReadFromJsonAsync(ChatJsonContext.Default.OpenAiCompletion, cancellationToken), cancellationToken);
        if (completion?.Choices is not [{ Message.Content: { } content }, ..])
        {
            throw new ChatProviderException(Name, "The provider's answer has no choices[0].message.content.");
        }

        return new ChatMessage(ChatRoles.Assistant, content);
    }

    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<ChatMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAsync(messages, stream: true, cancellationToken);
        using var reader = new StreamReader(await Guard(() => response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken));
        while (await Guard(() => reader.ReadLineAsync(cancellationToken).AsTask(), cancellationToken) is { } line)
        {
            // Server-sent events: "data: {chunk}" lines, blank separators, maybe ": comments" and "event:" lines.
            if (!line.StartsWith(DataPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var data = line[DataPrefix.Length..].Trim();
            if (data == "[DONE]")
            {
                yield break;
            }

            var chunk = await Guard(() => Task.FromResult(JsonSerializer.Deserialize(data, ChatJsonContext.Default.OpenAiCompletion)), cancellationToken);
            if (chunk?.Choices is [{ Delta.Content: { Length: > 0 } delta }, ..])
            {
                yield return delta;
            }
        }

        throw new ChatProviderException(Name, "The provider's stream ended before its end marker; the reply may be cut short.");
    }

    private async Task<HttpResponseMessage> SendAsync(IReadOnlyList<ChatMessage> messages, bool stream, CancellationToken cancellationToken)
    {
        var body = new OpenAiRequest(options.Value.Model!, messages, stream);
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = JsonContent.Create(body, ChatJsonContext.Default.OpenAiRequest),
        };
        var response = await Guard(() => http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken), cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await Guard(() => response.Content.ReadAsStringAsync(cancellationToken), cancellationToken);
            LogRejected(logger, (int)response.StatusCode, text.Length > 2000 ? text[..2000] : text);
            throw new ChatProviderException(Name, $"The provider answered {(int)response.StatusCode} ({response.ReasonPhrase}).");
        }
    }

    // Transport, timeout and JSON errors become ChatProviderException; the caller's own cancellation stays what it is.
    private async Task<T> Guard<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException error) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChatProviderException(Name, $"The provider did not answer within {options.Value.Timeout.TotalSeconds:0.#} s.", error);
        }
        catch (Exception error) when (error is HttpRequestException or IOException or JsonException)
        {
            throw new ChatProviderException(Name, $"The provider could not be used: {error.Message}", error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LLM provider answered {Status}: {Body}")]
    private static partial void LogRejected(ILogger logger, int status, string body);
}

internal sealed record OpenAiRequest(string Model, IReadOnlyList<ChatMessage> Messages, bool Stream);

internal sealed record OpenAiCompletion(IReadOnlyList<OpenAiChoice>? Choices);

internal sealed record OpenAiChoice(OpenAiContent? Message, OpenAiContent? Delta);

internal sealed record OpenAiContent(string? Role, string? Content);
