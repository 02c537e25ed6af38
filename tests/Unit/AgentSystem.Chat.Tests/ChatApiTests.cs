using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Chat.Model;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentSystem.Chat.Tests;

public sealed class ChatApiTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);

    [Fact]
    public async Task Healthz_answers_200()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Chat_answers_with_the_offline_provider()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "ping" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<ChatResponse>();
        Assert.Equal(new ChatResponse("offline", new ChatMessage("assistant", "[offline] No language model is configured. You said (1 word): \"ping\"")), body);
    }

    [Theory]
    [InlineData("""{ "messages": [] }""", "messages")]
    [InlineData("""{ }""", "messages")]
    [InlineData("""{ "messages": [{ "role": "robot", "content": "hi" }] }""", "messages[0].role")]
    [InlineData("""{ "messages": [{ "role": "user", "content": "hi" }, { "role": "user" }] }""", "messages[1].content")]
    public async Task Invalid_request_is_422_naming_the_field(string json, string field)
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(Chat, content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }
}
