using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSystem.Chat.Tests.Fakes;

/// <summary>
/// An OpenAI-compatible server on 127.0.0.1 (random port) under <c>/v1</c>. It replies "Hello from the model" (streamed as
/// "Hello", " from", " the model"); the last user message picks a failure: "fail" (500), "garbage" (not JSON), "cut" (a stream
/// that stops before [DONE]), "stall" (no answer for 30 s), "long" (<see cref="LongReply"/>, 48 KiB; streamed in pieces of
/// 1,000 characters), "huge" (an answer of <see cref="HugeBytes"/> without a Content-Length; streamed, one line of that
/// many bytes), "endless" (a stream of empty events that never ends), "unterminated" (a stream whose last line, the
/// end marker, has no newline), "split-emoji" (a stream that cuts U+1F600 between two chunks as \u escapes).
/// </summary>
public sealed class FakeOpenAi : IAsyncDisposable
{
    public const string Reply = "Hello from the model";

    /// <summary>16,384 two-byte characters and 16,384 one-byte ones: 48 KiB of UTF-8.</summary>
    public static readonly string LongReply = new string('é', 16_384) + new string('x', 16_384);

    /// <summary>Over every bound the provider reads with.</summary>
    public const int HugeBytes = 20 * 1024 * 1024;

    private readonly WebApplication _app;

    private FakeOpenAi(WebApplication app) => _app = app;

    public Uri BaseUrl => new(_app.Urls.Single() + "/v1");

    public JsonElement? LastRequest { get; private set; }

    public string? LastAuthorization { get; private set; }

    public static async Task<FakeOpenAi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var fake = new FakeOpenAi(builder.Build());
        fake._app.MapPost("/v1/chat/completions", fake.CompleteAsync);
        await fake._app.StartAsync();
        return fake;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task CompleteAsync(HttpContext context)
    {
        var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
        LastRequest = request;
        LastAuthorization = context.Request.Headers.Authorization;
        var last = request.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString();
        var stream = request.GetProperty("stream").GetBoolean();

        switch (last)
        {
            case "fail":
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("""{"error":{"message":"boom"}}""");
                return;
            case "garbage":
                await context.Response.WriteAsync(stream ? "data: {not json\n\n" : "<html>not json</html>");
                return;
            case "stall":
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                return;
            case "huge":
                // Valid JSON if read whole, in pieces (so no Content-Length); the reader stops early, which ends the request.
                await context.Response.WriteAsync(stream ? "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" : "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"");
                var piece = new string('x', 64 * 1024);
                for (var sent = 0; sent < HugeBytes && !context.RequestAborted.IsCancellationRequested; sent += piece.Length)
                {
                    await context.Response.WriteAsync(piece, context.RequestAborted);
                }

                await context.Response.WriteAsync(stream ? "\"}}]}\n\ndata: [DONE]\n\n" : "\"}}]}", context.RequestAborted);
                return;
            case "split-emoji" when stream:
                // U+1F600 cut between two chunks as UTF-16 escapes, as a server slicing UTF-16 text would send it.
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("""data: {"choices":[{"index":0,"delta":{"content":"hi \ud83d"}}]}""" + "\n\n");
                await context.Response.WriteAsync("""data: {"choices":[{"index":0,"delta":{"content":"\ude00!"}}]}""" + "\n\ndata: [DONE]\n\n");
                return;
            case "unterminated" when stream:
                // The end marker without the newline after it: the last line is read when the stream ends.
                await context.Response.WriteAsync("""data: {"choices":[{"index":0,"delta":{"content":"Hello"}}]}""" + "\n\ndata: [DONE]");
                return;
            case "endless" when stream:
                context.Response.ContentType = "text/event-stream";
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.WriteAsync("""data: {"choices":[{"index":0,"delta":{}}]}""" + "\n\n", context.RequestAborted);
                }

                return;
        }

        if (!stream)
        {
            var content = last == "long" ? LongReply : Reply;
            await context.Response.WriteAsJsonAsync(new { id = "c1", choices = new[] { new { index = 0, message = new { role = "assistant", content } } } });
            return;
        }

        if (last == "long")
        {
            context.Response.ContentType = "text/event-stream";
            foreach (var piece in LongReply.Chunk(1000).Select(chars => new string(chars)))
            {
                await context.Response.WriteAsync($$$"""data: {"choices":[{"index":0,"delta":{"content":"{{{piece}}}"}}]}""" + "\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync(": keep-alive comment\n\n");
        await context.Response.WriteAsync("""data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}""" + "\n\n");
        foreach (var piece in new[] { "Hello", " from", " the model" })
        {
            await context.Response.WriteAsync($$$"""data: {"choices":[{"index":0,"delta":{"content":"{{{piece}}}"}}]}""" + "\n\n");
            await context.Response.Body.FlushAsync();
            if (last == "cut")
            {
                return;
            }
        }

        await context.Response.WriteAsync("""data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""" + "\n\ndata: [DONE]\n\n");
    }
}
