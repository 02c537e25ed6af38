using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentSystem.Chat.Model;
using AgentSystem.Contracts;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Providers;

/// <summary>
/// An OpenAI-compatible <c>POST {Llm:BaseUrl}/chat/completions</c> (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, LM Studio...).
/// A NUL character in the model's text becomes U+FFFD, so the reply can be stored (PostgreSQL's text cannot hold NUL).
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

        var kept = Cut(Storable(content), Limits.MaxChatMessageBytes);
        if (kept.Length < content.Length)
        {
            LogCut(logger, Limits.MaxChatMessageBytes);
        }

        return new ChatMessage(ChatRoles.Assistant, kept);
    }

    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<ChatMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAsync(messages, stream: true, cancellationToken);
        using var reader = new StreamReader(await Guard(() => response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken));
        var left = Limits.MaxChatMessageBytes;
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
                var kept = Cut(Storable(delta), left);
                left -= Encoding.UTF8.GetByteCount(kept);
                yield return kept;
                if (kept.Length < delta.Length)
                {
                    LogCut(logger, Limits.MaxChatMessageBytes);
                    yield break;
                }
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

    private static string Storable(string text) => text.Replace('\0', '\uFFFD');

    // A reply is held to a chat message's size, as the user's own are: it is stored, sent again as history and may be an
    // llm job's result, and a provider's own limit may be far larger ("repeat this 100,000 times"). Never half a
    // surrogate pair.
    private static string Cut(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var (length, bytes) = (0, 0);
        while (length < text.Length)
        {
            var width = char.IsHighSurrogate(text[length]) && length + 1 < text.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(length, width));
            if (bytes + size > maxBytes)
            {
                break;
            }

            (length, bytes) = (length + width, bytes + size);
        }

        return text[..length];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LLM provider's reply was cut at {MaxBytes} bytes, a chat message's limit")]
    private static partial void LogCut(ILogger logger, int maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LLM provider answered {Status}: {Body}")]
    private static partial void LogRejected(ILogger logger, int status, string body);
}

internal sealed record OpenAiRequest(string Model, IReadOnlyList<ChatMessage> Messages, bool Stream);

internal sealed record OpenAiCompletion(IReadOnlyList<OpenAiChoice>? Choices);

internal sealed record OpenAiChoice(OpenAiContent? Message, OpenAiContent? Delta);

internal sealed record OpenAiContent(string? Role, string? Content);
