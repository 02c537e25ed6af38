using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Model;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentSystem.Chat.Tests;

/// <summary>GET /chat/conversations, each test on a service of its own (an empty in-memory store).</summary>
public sealed class ConversationListTests : IDisposable
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);
    private readonly WebApplicationFactory<Program> _factory = new();
    private readonly HttpClient _client;

    public ConversationListTests() => _client = _factory.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Conversations_are_listed_most_recently_active_first_with_their_first_user_message()
    {
        var first = await StartAsync("first question");
        var second = await StartAsync("second question");
        await SayAsync(first, "a follow-up");

        var page = await ListAsync("");

        Assert.Equal((2L, true), (page.Total, page.TotalExact));
        Assert.Equal((1, ChatApi.DefaultPageSize), (page.Page, page.PageSize));
        Assert.Equal([first, second], page.Items.Select(c => c.Id));
        Assert.Equal(["first question", "second question"], page.Items.Select(c => c.Title));
        Assert.Equal([4, 2], page.Items.Select(c => c.MessageCount));
        Assert.True(page.Items[0].UpdatedAt >= page.Items[1].UpdatedAt);
        Assert.All(page.Items, c => Assert.True(c.UpdatedAt >= c.CreatedAt));
    }

    [Fact]
    public async Task Pages_hold_pageSize_items_and_the_total()
    {
        List<Guid> started = [];
        for (var i = 0; i < 3; i++)
        {
            started.Add(await StartAsync($"question {i}"));
        }

        var second = await ListAsync("?page=2&pageSize=2");
        var beyond = await ListAsync("?page=3&pageSize=2");

        Assert.Equal(3, second.Total);
        Assert.Equal([started[0]], second.Items.Select(c => c.Id));
        Assert.Empty(beyond.Items);
        Assert.Equal(3, beyond.Total);
    }

    [Fact]
    public async Task Timestamps_are_utc_with_a_z_as_the_orchestrators_are()
    {
        var id = await StartAsync("when");

        var page = await _client.GetFromJsonAsync<JsonElement>(new Uri("/chat/conversations", UriKind.Relative));
        var conversation = await _client.GetFromJsonAsync<JsonElement>(new Uri($"/chat/conversations/{id}", UriKind.Relative));

        var item = page.GetProperty("items")[0];
        string?[] stamps = [item.GetProperty("createdAt").GetString(), item.GetProperty("updatedAt").GetString(),
            conversation.GetProperty("createdAt").GetString(), conversation.GetProperty("messages")[0].GetProperty("createdAt").GetString()];
        Assert.All(stamps, stamp => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", stamp));
    }

    [Fact]
    public async Task A_long_first_message_is_cut_to_the_title_length()
    {
        await StartAsync(new string('x', ConversationSummary.TitleLength + 50));

        var item = Assert.Single((await ListAsync("")).Items);

        Assert.Equal(new string('x', ConversationSummary.TitleLength), item.Title);
    }

    [Theory]
    [InlineData("?page=0", "page")]
    [InlineData("?page=abc", "page")]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=101", "pageSize")]
    [InlineData("?page=501", "page")]
    [InlineData("?page=101&pageSize=100", "page")]
    public async Task Unusable_paging_is_422_naming_the_parameter(string query, string parameter)
    {
        using var response = await _client.GetAsync(new Uri("/chat/conversations" + query, UriKind.Relative));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal([parameter], errors.EnumerateObject().Select(p => p.Name));
    }

    private async Task<Guid> StartAsync(string text) => await SayAsync(null, text);

    private async Task<Guid> SayAsync(Guid? conversationId, string text)
    {
        using var response = await _client.PostAsJsonAsync(Chat, new { conversationId, messages = new[] { new { role = "user", content = text } } });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ChatResponse>())!.ConversationId;
    }

    private async Task<ConversationPage> ListAsync(string query) =>
        (await _client.GetFromJsonAsync<ConversationPage>(new Uri("/chat/conversations" + query, UriKind.Relative)))!;
}
