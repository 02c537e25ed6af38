using System.Buffers;
using System.IO.Pipelines;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
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

    /// <summary>
    /// Most bytes of a whole answer read: a reply is cut at 32 KiB of text (<see cref="ReplyLimit"/>), which JSON's escapes
    /// make at most six times as long, so a longer answer is not a reply worth holding (helper-64's 400 MB answer took
    /// the service to 1.9 GB).
    /// </summary>
    internal const int MaxAnswerBytes = 1024 * 1024;

    /// <summary>Most bytes of one line of a stream: an event is a token or a few, not a reply (a 400 MB line took 3.7 GB).</summary>
    internal const int MaxLineBytes = 256 * 1024;

    /// <summary>
    /// Most bytes of a whole stream: a reply of 32 KiB in events of a token each is about 2 MB; events with nothing in
    /// them would otherwise be read for as long as the provider sends them.
    /// </summary>
    internal const long MaxStreamBytes = 16L * 1024 * 1024;

    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;

    private static ReadOnlySpan<byte> DoneMarker => "[DONE]"u8;

    public string Name => ProviderName;

    public async Task<ChatMessage> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(messages, stream: false, cancellationToken);
        var body = await Guard(() => ReadAtMostAsync(response.Content, MaxAnswerBytes, cancellationToken), cancellationToken)
            ?? throw new ChatProviderException(Name, $"The provider's answer is longer than {MaxAnswerBytes / 1024} KiB: not read.");
        var completion = await Guard(() => Task.FromResult(JsonSerializer.Deserialize(body, ChatJsonContext.Default.OpenAiCompletion)), cancellationToken);
        if (completion?.Choices is not [{ Message.Content: { } content }, ..])
        {
            throw new ChatProviderException(Name, "The provider's answer has no choices[0].message.content.");
        }

        return new ChatMessage(ChatRoles.Assistant, content);
    }

    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<ChatMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAsync(messages, stream: true, cancellationToken);
        var pipe = PipeReader.Create(await Guard(() => response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken));
        try
        {
            long read = 0;
            while (true)
            {
                var result = await Guard(() => pipe.ReadAsync(cancellationToken).AsTask(), cancellationToken);
                var buffer = result.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    var line = buffer.Slice(0, end);
                    read += line.Length + 1;
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    switch (Event(line))
                    {
                        case { Done: true }:
                            yield break;
                        case { Delta: { } delta }:
                            yield return delta;
                            break;
                    }
                }

                if (buffer.Length > MaxLineBytes || read + buffer.Length > MaxStreamBytes)
                {
                    throw new ChatProviderException(Name, buffer.Length > MaxLineBytes
                        ? $"The provider's stream sent a line longer than {MaxLineBytes / 1024} KiB: not read."
                        : $"The provider's stream passed {MaxStreamBytes / (1024 * 1024)} MiB without ending: not read further.");
                }

                if (result.IsCompleted)
                {
                    // A last line without its newline (a provider that ends on "data: [DONE]") still counts.
                    if (!buffer.IsEmpty && Event(buffer) is { Done: true })
                    {
                        yield break;
                    }

                    break;
                }

                pipe.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }

        throw new ChatProviderException(Name, "The provider's stream ended before its end marker; the reply may be cut short.");
    }

    // Server-sent events: "data: {chunk}" lines, blank separators, maybe ": comments" and "event:" lines.
    private (bool Done, string? Delta) Event(ReadOnlySequence<byte> line)
    {
        var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (!bytes.StartsWith(DataPrefix))
        {
            return default;
        }

        var data = bytes[DataPrefix.Length..].Trim(" \t\r"u8);
        if (data.SequenceEqual(DoneMarker))
        {
            return (true, null);
        }

        try
        {
            var chunk = JsonSerializer.Deserialize(data, ChatJsonContext.Default.OpenAiCompletion);
            return (false, chunk?.Choices is [{ Delta.Content: { Length: > 0 } delta }, ..] ? delta : null);
        }
        catch (JsonException error)
        {
            throw Unusable(error);
        }
    }

    /// <summary>The body, or null when it is longer than <paramref name="max"/> bytes (then read no further).</summary>
    private static async Task<byte[]?> ReadAtMostAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int count;
        while ((count = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + count > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, count);
        }

        return buffer.ToArray();
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
            // Its first bytes only, for the log: a provider's error page has no bound either.
            var start = await Guard(() => ReadAtMostAsync(response.Content, 64 * 1024, cancellationToken), cancellationToken);
            var text = start is null ? "(longer than 64 KiB)" : System.Text.Encoding.UTF8.GetString(start);
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
            throw Unusable(error);
        }
    }

    // The caller learns what kind of failure it was; the provider's address and the details go to the log only
    // (helper-64: a 502 said "Connection refused (127.0.0.1:18399)").
    private ChatProviderException Unusable(Exception error)
    {
        LogUnusable(logger, error);
        var what = error switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError } http =>
                $"it could not be reached ({http.HttpRequestError})",
            HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http => $"the connection to it failed ({http.HttpRequestError})",
            JsonException => "its answer is not the JSON an OpenAI-compatible API sends",
            _ => "the connection to it failed",
        };
        return new ChatProviderException(Name, $"The provider could not be used: {what}.", error);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LLM provider could not be used")]
    private static partial void LogUnusable(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LLM provider answered {Status}: {Body}")]
    private static partial void LogRejected(ILogger logger, int status, string body);
}

internal sealed record OpenAiRequest(string Model, IReadOnlyList<ChatMessage> Messages, bool Stream);

internal sealed record OpenAiCompletion(IReadOnlyList<OpenAiChoice>? Choices);

internal sealed record OpenAiChoice(OpenAiContent? Message, OpenAiContent? Delta);

internal sealed record OpenAiContent(string? Role, [property: JsonConverter(typeof(SurrogateTolerantString))] string? Content);
