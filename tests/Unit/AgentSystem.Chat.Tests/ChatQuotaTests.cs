using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using AgentSystem.Chat.Tests.Fakes;
using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentSystem.Chat.Tests;

/// <summary>Chat:MaxStoredBytesPerKey: what one API key's conversations may hold.</summary>
public sealed class ChatQuotaTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private const long Quota = 1024 * 1024;

    private static readonly Uri Chat = new("/chat", UriKind.Relative);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_key_whose_messages_and_largest_reply_would_pass_its_quota_is_refused_before_the_provider_is_asked(bool stream)
    {
        var (app, provider) = App();
        await using var _ = app;
        var store = app.Services.GetRequiredService<IConversationStore>();
        // 1,040,000 bytes held: a short question and a reply of up to 32 KiB no longer fit.
        await store.CreateAsync("key-0", [.. Enumerable.Range(0, 40).Select(_ => new ChatMessage("user", new string('m', 26_000)))], CancellationToken.None);
        using var client = Client(app, "key-0");

        using var refused = await client.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "one more" } }, stream });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(StorageQuotaExceededException.Title, problem.GetProperty("title").GetString());
        Assert.Equal((Quota, 1_040_000L, 8L + Limits.MaxChatMessageBytes),
            (problem.GetProperty("quotaBytes").GetInt64(), problem.GetProperty("storedBytes").GetInt64(), problem.GetProperty("neededBytes").GetInt64()));
        Assert.Contains("retention", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, provider.Calls);

        using var other = Client(app, "key-1");
        using var answered = await other.PostAsJsonAsync(Chat, new { messages = new[] { new { role = "user", content = "hello" } } });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task The_store_refuses_what_would_pass_the_quota_and_counts_nothing_for_the_cluster_itself()
    {
        var (app, _) = App();
        await using var __ = app;
        var store = app.Services.GetRequiredService<IConversationStore>();
        var big = Enumerable.Range(0, 30).Select(_ => new ChatMessage("user", new string('b', 32_000))).ToList();   // 960,000 bytes
        var id = await store.CreateAsync("key-0", big, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<StorageQuotaExceededException>(() => store.AppendAsync(id, "key-0", big[..4], CancellationToken.None));
        Assert.Equal((128_000L, (long?)960_000L), (refused.Needed, refused.Stored));
        Assert.Equal(960_000L, await store.StoredBytesAsync("key-0", CancellationToken.None));

        await store.CreateAsync(Owner.Worker, [.. big, .. big], CancellationToken.None);
        await store.CreateAsync(null, [.. big, .. big], CancellationToken.None);
        Assert.Equal(0L, await store.StoredBytesAsync(Owner.Worker, CancellationToken.None));
    }

    private (WebApplicationFactory<Program> App, ScriptedProvider Provider) App()
    {
        var provider = new ScriptedProvider("an answer");
        var app = factory.WithWebHostBuilder(builder => builder
            .UseSetting("Chat:MaxStoredBytesPerKey", Quota.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureTestServices(services =>
            {
                services.RemoveAll<IChatProvider>();
                services.AddSingleton<IChatProvider>(provider);
            }));
        return (app, provider);
    }

    private static HttpClient Client(WebApplicationFactory<Program> app, string owner)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(Owner.HeaderName, owner);
        return client;
    }
}
