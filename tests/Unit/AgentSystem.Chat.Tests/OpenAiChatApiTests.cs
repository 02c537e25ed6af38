using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Chat.Extensions;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Tests;

/// <summary>The chat service with Llm:BaseUrl set: it talks to a fake OpenAI-compatible server.</summary>
public sealed class OpenAiChatApiTests : IAsyncLifetime
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);

    private FakeOpenAi _server = null!;
    private WebApplicationFactory<Program> _factory = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenAi.StartAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting("Llm:BaseUrl", _server.BaseUrl.ToString())
            .UseSetting("Llm:ApiKey", "sk-test")
            .UseSetting("Llm:Model", "test-model"));
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Chat_answers_with_the_configured_provider()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "hi" } } });
        var body = await response.Content.ReadFromJsonAsync<ChatResponse>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("openai-compatible", body!.Provider);
        Assert.Equal(FakeOpenAi.Reply, body.Message.Content);
        Assert.Equal("Bearer sk-test", _server.LastAuthorization);
    }

    [Fact]
    public async Task The_provider_sees_the_stored_conversation_before_the_new_messages()
    {
        using var client = _factory.CreateClient();

        using var first = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "first" } } });
        var id = (await first.Content.ReadFromJsonAsync<ChatResponse>())!.ConversationId;
        using var second = await client.PostAsJsonAsync(Chat, new { conversationId = id, messages = new[] { new { role = "user", content = "second" } } });

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(
            [("user", "first"), ("assistant", FakeOpenAi.Reply), ("user", "second")],
            _server.LastRequest!.Value.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())));
    }

    [Fact]
    public async Task A_streamed_emoji_cut_between_the_providers_chunks_is_stored_whole()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "split-emoji" } }, stream = true });
        var body = await response.Content.ReadAsStringAsync();
        var id = JsonDocument.Parse(body.Split("\n\n").Single(e => e.Contains("conversationId", StringComparison.Ordinal))["data: ".Length..])
            .RootElement.GetProperty("conversationId").GetGuid();
        var stored = await client.GetFromJsonAsync<JsonElement>(new Uri($"/chat/conversations/{id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hi \U0001F600!", stored.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString());
    }

    [Fact]
    public async Task Streamed_chat_relays_the_providers_deltas()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "hi" } }, stream = true });
        var body = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("data: {\"delta\":\"Hello\"}\n\ndata: {\"delta\":\" from\"}\n\ndata: {\"delta\":\" the model\"}\n\ndata: {\"conversationId\":\"", body, StringComparison.Ordinal);
        Assert.EndsWith("\",\"provider\":\"openai-compatible\"}\n\ndata: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_longer_than_a_chat_message_is_cut_at_a_character_stored_so_and_said_to_be_truncated()
    {
        using var client = _factory.CreateClient();
        var kept = FakeOpenAi.LongReply[..16_384];   // 16,384 of 'é': 32,768 bytes, the limit

        using var whole = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "long" } } });
        var answer = await whole.Content.ReadFromJsonAsync<JsonElement>();
        using var streamed = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "long" } }, stream = true });
        var events = (await streamed.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(kept, answer.GetProperty("message").GetProperty("content").GetString());
        Assert.True(answer.GetProperty("truncated").GetBoolean());
        var deltas = events.Where(e => e.StartsWith("data: {\"delta\"", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("delta").GetString());
        Assert.Equal(kept, string.Concat(deltas));
        var end = JsonDocument.Parse(events[^2]["data: ".Length..]).RootElement;
        Assert.True(end.GetProperty("truncated").GetBoolean());
        Assert.Equal("data: [DONE]", events[^1]);

        using var stored = await client.GetAsync(new Uri($"/chat/conversations/{end.GetProperty("conversationId").GetString()}", UriKind.Relative));
        var messages = (await stored.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messages");
        Assert.Equal(kept, messages[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_reply_within_the_limit_does_not_say_truncated()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "hi" } } });

        Assert.False((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("truncated", out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Provider_failure_is_502_problem_naming_it(bool stream)
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "fail" } }, stream });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("openai-compatible", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_failing_midway_ends_with_an_error_event_and_no_done()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "cut" } }, stream = true });
        var body = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("data: {\"delta\":\"Hello\"}\n\nevent: error\ndata: {", body, StringComparison.Ordinal);
        Assert.Contains("openai-compatible", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_fails_when_the_model_is_missing()
    {
        // ValidateOnStart's check on a host built, not started. Not through WebApplicationFactory: when a start fails, its
        // deferred host may read the services the failed host has already disposed, so the test sometimes saw
        // ObjectDisposedException (dotnet/aspnetcore#33494). The gateway's and the worker's start checks do the same.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Llm:BaseUrl"] = _server.BaseUrl.ToString(),
            ["Llm:Model"] = "",
        });
        builder.AddApplicationServices();
        await using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Llm:Model", error.Message, StringComparison.Ordinal);
    }
}
