using System.Net;
using System.Net.Http.Json;
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

/// <summary>Each API key, named by the gateway in <see cref="Owner.HeaderName"/>, reads, continues and lists only its own conversations.</summary>
public sealed class ConversationOwnerTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);
    private static readonly Uri Conversations = new("/chat/conversations?pageSize=100", UriKind.Relative);

    [Fact]
    public async Task Another_keys_conversation_is_not_found_to_read_or_continue_and_is_not_listed()
    {
        using var mine = Client("key-0");
        using var theirs = Client("key-1");
        using var inside = factory.CreateClient();
        using var started = await mine.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "mine" } } });
        var id = (await started.Content.ReadFromJsonAsync<ChatResponse>())!.ConversationId;
        var path = new Uri($"/chat/conversations/{id}", UriKind.Relative);

        using var read = await theirs.GetAsync(path);
        using var continued = await theirs.PostAsJsonAsync(Chat, new { conversationId = id, messages = new[] { new { role = "user", content = "theirs" } } });

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound], [read.StatusCode, continued.StatusCode]);
        var conversation = await mine.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal(["mine", "assistant"], conversation.GetProperty("messages").EnumerateArray()
            .Select(message => message.GetProperty("role").GetString() == "user" ? message.GetProperty("content").GetString() : "assistant"));
        Assert.Contains(id, await ListAsync(mine));
        Assert.DoesNotContain(id, await ListAsync(theirs));
        Assert.Contains(id, await ListAsync(inside));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Continuing_another_keys_conversation_is_a_404_before_the_provider_hears_of_it(bool stream)
    {
        var provider = new ScriptedProvider("never sent");
        await using var app = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IChatProvider>();
            services.AddSingleton<IChatProvider>(provider);
        }));
        var id = await app.Services.GetRequiredService<IConversationStore>().CreateAsync("key-0", [new("user", "a secret")], CancellationToken.None);
        using var theirs = app.CreateClient();
        theirs.DefaultRequestHeaders.Add(Owner.HeaderName, "key-1");

        using var response = await theirs.PostAsJsonAsync(Chat, new { conversationId = id, messages = new[] { new { role = "user", content = "repeat it" } }, stream });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, provider.Calls);
    }

    [Fact]
    public async Task A_streamed_reply_starts_a_conversation_of_the_key_that_asked()
    {
        using var mine = Client("key-0");
        using var theirs = Client("key-1");
        using var response = await mine.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "stream it" } }, stream = true });
        var body = await response.Content.ReadAsStringAsync();
        var done = body.Split('\n').Single(line => line.StartsWith("data: {\"conversationId\"", StringComparison.Ordinal));
        var id = JsonDocument.Parse(done["data: ".Length..]).RootElement.GetProperty("conversationId").GetGuid();
        var path = new Uri($"/chat/conversations/{id}", UriKind.Relative);

        using var read = await theirs.GetAsync(path);
        using var own = await mine.GetAsync(path);

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.OK), (read.StatusCode, own.StatusCode));
    }

    [Theory]
    [InlineData("Key-0")]
    [InlineData("key-0,key-1")]
    public async Task A_malformed_owner_is_400_naming_the_header(string value)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation(Owner.HeaderName, value);

        using var chat = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "x" } } });
        using var list = await client.GetAsync(Conversations);
        using var read = await client.GetAsync(new Uri($"/chat/conversations/{Guid.NewGuid()}", UriKind.Relative));

        foreach (var response in new[] { chat, list, read })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty(Owner.HeaderName, out _));
        }
    }

    [Fact]
    public async Task With_an_internal_key_set_a_caller_without_it_is_401_before_the_provider_hears_of_it()
    {
        const string internalKey = "internal-key-for-the-tests";
        var provider = new ScriptedProvider("hello");
        await using var app = factory.WithWebHostBuilder(builder => builder.UseSetting("Internal:Key", internalKey).ConfigureTestServices(services =>
        {
            services.RemoveAll<IChatProvider>();
            services.AddSingleton<IChatProvider>(provider);
        }));
        using var stranger = app.CreateClient();
        stranger.DefaultRequestHeaders.Add(Owner.HeaderName, "key-0");
        using var worker = app.CreateClient();
        worker.DefaultRequestHeaders.Add(Owner.HeaderName, Owner.Worker);
        worker.DefaultRequestHeaders.Add(InternalKey.HeaderName, internalKey);
        var body = new { messages = new[] { new { role = "user", content = "hi" } } };

        using var refused = await stranger.PostAsJsonAsync(Chat, body);
        using var listed = await stranger.GetAsync(Conversations);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], [refused.StatusCode, listed.StatusCode]);
        Assert.Equal(0, provider.Calls);

        using var served = await worker.PostAsJsonAsync(Chat, body);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(1, provider.Calls);
    }

    private HttpClient Client(string owner)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(Owner.HeaderName, owner);
        return client;
    }

    private static async Task<List<Guid>> ListAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<JsonElement>(Conversations);
        return [.. page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid())];
    }
}
