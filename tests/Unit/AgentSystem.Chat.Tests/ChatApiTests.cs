using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentSystem.Chat.Model;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentSystem.Chat.Tests;

public sealed class ChatApiTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);
    private const string PingReply = "[offline] No language model is configured. You said (1 word): \"ping\"";

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Probes_answer_200(string path)
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Chat_answers_with_the_offline_provider_in_a_new_conversation()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { conversationId = (Guid?)null, messages = new[] { new { role = "user", content = "ping" } }, stream = false });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<ChatResponse>();
        Assert.NotNull(body);
        Assert.NotEqual(Guid.Empty, body.ConversationId);
        Assert.Equal("offline", body.Provider);
        Assert.Equal(new ChatMessage("assistant", PingReply), body.Message);
    }

    [Fact]
    public async Task The_conversation_keeps_the_messages_and_replies_in_order()
    {
        using var client = factory.CreateClient();

        using var first = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "system", content = "be brief" }, new { role = "user", content = "ping" } } });
        var id = (await first.Content.ReadFromJsonAsync<ChatResponse>())!.ConversationId;
        using var second = await client.PostAsJsonAsync(Chat, new { conversationId = id, messages = new[] { new { role = "user", content = "and again" } } });
        var conversation = await client.GetFromJsonAsync<Conversation>(new Uri($"/chat/conversations/{id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(id, (await second.Content.ReadFromJsonAsync<ChatResponse>())!.ConversationId);
        Assert.NotNull(conversation);
        Assert.Equal(id, conversation.Id);
        Assert.Equal(
            [("system", "be brief"), ("user", "ping"), ("assistant", PingReply), ("user", "and again"), ("assistant", "[offline] No language model is configured. You said (2 words): \"and again\"")],
            conversation.Messages.Select(m => (m.Role, m.Content)));
        Assert.Equal(5, conversation.MessageCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_conversation_is_a_409_problem_and_keeps_what_it_holds(bool stream)
    {
        using var client = factory.CreateClient();
        var fill = Enumerable.Repeat(new { role = "user", content = "x" }, Limits.MaxChatMessages).ToArray();
        using var first = await client.PostAsJsonAsync(Chat, new { messages = fill });
        var id = (await first.Content.ReadFromJsonAsync<ChatResponse>())!.ConversationId;
        // Each request stores its messages and the reply: 101 at a time, up to 909; 91 more fit, 100 do not.
        for (var held = Limits.MaxChatMessages + 1; held + Limits.MaxChatMessages + 1 <= Limits.MaxConversationMessages; held += Limits.MaxChatMessages + 1)
        {
            using var more = await client.PostAsJsonAsync(Chat, new { conversationId = id, messages = fill });
            Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        }

        using var refused = await client.PostAsJsonAsync(Chat, new { conversationId = id, messages = fill, stream });
        var conversation = await client.GetFromJsonAsync<Conversation>(new Uri($"/chat/conversations/{id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("start a new conversation", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(909, conversation!.MessageCount);
        Assert.Equal(Limits.ConversationWindowMessages, conversation.Messages.Count);
    }

    [Fact]
    public async Task Unknown_conversations_are_404_problems()
    {
        using var client = factory.CreateClient();
        var unknown = Guid.NewGuid();

        using var get = await client.GetAsync(new Uri($"/chat/conversations/{unknown}", UriKind.Relative));
        using var post = await client.PostAsJsonAsync(Chat, new { conversationId = unknown, messages = new[] { new { role = "user", content = "hi" } } });
        using var notAnId = await client.GetAsync(new Uri("/chat/conversations/not-a-guid", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notAnId.StatusCode);
    }

    [Fact]
    public async Task Streamed_chat_is_sse_of_deltas_then_the_conversation_then_done()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "ping" } }, stream = true });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        var data = events.Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", data[^1]);
        var end = JsonSerializer.Deserialize<JsonElement>(data[^2]);
        Assert.Equal("offline", end.GetProperty("provider").GetString());
        var deltas = data[..^2].Select(d => JsonSerializer.Deserialize<JsonElement>(d).GetProperty("delta").GetString()).ToList();
        Assert.True(deltas.Count > 5);
        Assert.Equal(PingReply, string.Concat(deltas));

        var conversation = await client.GetFromJsonAsync<Conversation>(new Uri($"/chat/conversations/{end.GetProperty("conversationId").GetGuid()}", UriKind.Relative));
        Assert.Equal([("user", "ping"), ("assistant", PingReply)], conversation!.Messages.Select(m => (m.Role, m.Content)));
    }

    [Theory]
    [InlineData("""{ "messages": [] }""", "messages")]
    [InlineData("""{ }""", "messages")]
    [InlineData("""{ "messages": [null] }""", "messages[0].role")]
    [InlineData("""{ "messages": [{ "role": "robot", "content": "hi" }] }""", "messages[0].role")]
    [InlineData("""{ "messages": [{ "role": "user", "content": "hi" }, { "role": "user" }] }""", "messages[1].content")]
    public async Task Invalid_request_is_422_naming_the_field(string json, string field)
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(Chat, content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(field, problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Too_many_messages_or_too_long_content_is_422()
    {
        using var client = factory.CreateClient();
        var many = Enumerable.Repeat(new { role = "user", content = "hi" }, Limits.MaxChatMessages + 1).ToArray();
        var huge = new[] { new { role = "user", content = "ok" }, new { role = "user", content = new string('x', Limits.MaxChatMessageBytes + 1) } };

        using var tooMany = await client.PostAsJsonAsync(Chat, new { messages = many });
        using var tooLong = await client.PostAsJsonAsync(Chat, new { messages = huge });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.StatusCode);
        Assert.Equal(["messages"], (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Equal(["messages[1].content"], (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("""{ "messages": [ """)]
    [InlineData("""{ "messages": "hello" }""")]
    [InlineData("""{ "messages": [{ "role": "user", "content": "hi" }], "stream": "yes" }""")]
    public async Task Malformed_json_is_400_problem(string json)
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(Chat, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("JSON", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
