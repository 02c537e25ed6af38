using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using AgentSystem.Chat.Tests.Fakes;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentSystem.Chat.Tests;

/// <summary>
/// A streamed reply stays open while the provider is silent (keep-alive comments every Chat:Heartbeat) and ends, whatever
/// fails after its headers, with an error event and no [DONE], never a cut stream.
/// </summary>
public sealed class ChatStreamTests
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_provider_silent_between_pieces_gets_keep_alives_and_the_reply_completes()
    {
        var provider = new ScriptedProvider("Hello", ScriptedProvider.Wait, " world");
        await using var factory = Factory(provider);
        using var client = factory.CreateClient();

        using var response = await StreamAsync(client, "hi");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, """data: {"delta":"Hello"}""");
        await ReadUntilAsync(reader, ": keep-alive");
        provider.Release();
        var rest = await reader.ReadToEndAsync().WaitAsync(ReadTimeout);

        Assert.Contains("""data: {"delta":" world"}""", rest, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_piece_slower_than_a_heartbeat_is_awaited_with_the_stream_open()
    {
        var provider = new ScriptedProvider(ScriptedProvider.Wait, "late", " but here");
        await using var factory = Factory(provider);
        using var client = factory.CreateClient();

        using var response = await StreamAsync(client, "hi");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, ": keep-alive");
        provider.Release();
        var rest = await reader.ReadToEndAsync().WaitAsync(ReadTimeout);

        var events = rest.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(e => !e.StartsWith(':')).ToList();
        Assert.Equal("""data: {"delta":"late"}""", events[0]);
        Assert.Equal("data: [DONE]", events[^1]);
    }

    [Fact]
    public async Task A_provider_failing_after_the_stream_opened_ends_it_with_an_error_event()
    {
        var provider = new ScriptedProvider(ScriptedProvider.Wait, new ChatProviderException(ScriptedProvider.ProviderName, "the model went away"));
        await using var factory = Factory(provider);
        using var client = factory.CreateClient();

        using var response = await StreamAsync(client, "hi");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, ": keep-alive");
        provider.Release();
        var rest = await reader.ReadToEndAsync().WaitAsync(ReadTimeout);

        var problem = ErrorEvent(rest);
        Assert.Equal(502, problem.GetProperty("status").GetInt32());
        Assert.Equal("the model went away", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("[DONE]", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unforeseen_failure_midway_ends_the_stream_with_an_error_event()
    {
        await using var factory = Factory(new ScriptedProvider("one", new InvalidOperationException("a bug")));
        using var client = factory.CreateClient();

        using var response = await StreamAsync(client, "hi");
        var body = await response.Content.ReadAsStringAsync().WaitAsync(ReadTimeout);

        Assert.StartsWith("""data: {"delta":"one"}""", body, StringComparison.Ordinal);
        var problem = ErrorEvent(body);
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("a bug", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_failing_after_the_reply_ends_the_stream_with_an_error_event_not_a_cut()
    {
        await using var factory = Factory(new ScriptedProvider("one", " two"), new FailingStore());
        using var client = factory.CreateClient();

        using var response = await StreamAsync(client, "hi");
        var body = await response.Content.ReadAsStringAsync().WaitAsync(ReadTimeout);

        Assert.StartsWith("""data: {"delta":"one"}""" + "\n\n" + """data: {"delta":" two"}""" + "\n\n", body, StringComparison.Ordinal);
        var problem = ErrorEvent(body);
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal("The conversation store is unavailable", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_failing_without_a_stream_is_503()
    {
        await using var factory = Factory(new ScriptedProvider("one"), new FailingStore());
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_conversation_is_refused_before_the_provider_is_asked(bool stream)
    {
        var store = new InMemoryConversationStore(TimeProvider.System);
        var id = await store.CreateAsync(owner: null, [.. Enumerable.Repeat(new ChatMessage("user", "x"), Limits.MaxConversationMessages - 1)], CancellationToken.None);
        var provider = new ScriptedProvider("never");
        await using var factory = Factory(provider, store);
        using var client = factory.CreateClient();

        // One message and its reply: one too many.
        using var response = await client.PostAsJsonAsync(Chat, new { conversationId = id, messages = new[] { new { role = "user", content = "one more" } }, stream });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(0, provider.Calls);
        Assert.Equal(Limits.MaxConversationMessages - 1, (await store.FindAsync(id, owner: null, 0, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);
    }

    private static WebApplicationFactory<Program> Factory(IChatProvider provider, IConversationStore? store = null) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting("Chat:Heartbeat", "00:00:00.050")
            .ConfigureTestServices(services =>
            {
                services.RemoveAll<IChatProvider>();
                services.AddSingleton(provider);
                if (store is not null)
                {
                    services.RemoveAll<IConversationStore>();
                    services.AddSingleton(store);
                }
            }));

    private static async Task<HttpResponseMessage> StreamAsync(HttpClient client, string content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat)
        {
            Content = JsonContent.Create(new { messages = new[] { new { role = "user", content } }, stream = true }),
        };
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(ReadTimeout);
    }

    private static async Task ReadUntilAsync(StreamReader reader, string line)
    {
        var seen = new StringBuilder();
        while (await reader.ReadLineAsync().WaitAsync(ReadTimeout) is { } next)
        {
            if (next == line)
            {
                return;
            }

            seen.AppendLine(next);
        }

        Assert.Fail($"The stream ended without the line '{line}'; it sent:{Environment.NewLine}{seen}");
    }

    private static JsonElement ErrorEvent(string body)
    {
        var start = body.IndexOf("event: error\ndata: ", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no error event in: {body}");
        var data = body[(start + "event: error\ndata: ".Length)..].Split('\n')[0];
        return JsonSerializer.Deserialize<JsonElement>(data);
    }
}
