using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using AgentSystem.Chat.Extensions;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using AgentSystem.Chat.Tests.Fakes;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Chat.Tests;

public sealed class ConversationRetentionTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryConversationStore _store;
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public ConversationRetentionTests() => _store = new InMemoryConversationStore(_time);

    public void Dispose() => _metrics.Dispose();

    private IMeterFactory Meters => _metrics.GetRequiredService<IMeterFactory>();

    [Fact]
    public async Task A_round_deletes_the_conversations_idle_longer_than_the_period_batch_by_batch_and_keeps_the_rest()
    {
        var idle = await ConversationsAsync(5);
        var continued = await _store.CreateAsync("key-0", [new(ChatRoles.User, "still here?")], CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(30));
        await _store.AppendAsync(continued, "key-0", [new(ChatRoles.User, "yes")], CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        var recent = await ConversationsAsync(1);

        var counted = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meters) =>
        {
            // This test's meter only: the process-wide listener also hears the chat services other tests host.
            if (instrument.Name == ConversationRetention.DeletedInstrument && ReferenceEquals(instrument.Meter.Scope, Meters))
            {
                meters.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => counted.Add(value));
        listener.Start();

        var deleted = await Retention(new RetentionOptions { BatchSize = 2, BatchPause = TimeSpan.Zero }).RunOnceAsync(CancellationToken.None);

        Assert.Equal(5, deleted);
        Assert.Equal([2, 2, 1], counted);
        foreach (var id in idle)
        {
            Assert.Null(await FindAsync(id));
        }

        Assert.NotNull(await FindAsync(continued));
        Assert.NotNull(await FindAsync(recent[0]));
        Assert.Equal(0, await Retention(new RetentionOptions()).RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_longest_idle_go_first()
    {
        var idle = await ConversationsAsync(3);
        _time.Advance(TimeSpan.FromDays(31));

        Assert.Equal(2, await _store.DeleteIdleBeforeAsync(_time.GetUtcNow() - TimeSpan.FromDays(30), 2, CancellationToken.None));

        Assert.Null(await FindAsync(idle[0]));
        Assert.Null(await FindAsync(idle[1]));
        Assert.NotNull(await FindAsync(idle[2]));
    }

    [Fact]
    public async Task A_touched_conversation_is_active_from_then_and_only_its_owner_touches_it()
    {
        var idle = await ConversationsAsync(2);
        _time.Advance(TimeSpan.FromDays(31));

        Assert.True(await _store.TouchAsync(idle[0], "key-0", CancellationToken.None));
        Assert.False(await _store.TouchAsync(idle[1], "key-0", CancellationToken.None));   // key-1's
        Assert.False(await _store.TouchAsync(Guid.NewGuid(), owner: null, CancellationToken.None));
        Assert.Equal(1, await _store.DeleteIdleBeforeAsync(_time.GetUtcNow() - TimeSpan.FromDays(30), 10, CancellationToken.None));

        Assert.NotNull(await FindAsync(idle[0]));
        Assert.Null(await FindAsync(idle[1]));
    }

    [Fact]
    public async Task A_period_of_zero_keeps_every_conversation()
    {
        var idle = await ConversationsAsync(1);
        _time.Advance(TimeSpan.FromDays(3650));
        using var retention = Retention(new RetentionOptions { IdleConversations = TimeSpan.Zero });

        await retention.StartAsync(CancellationToken.None);
        await retention.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));   // a round would wait for the fake clock

        Assert.NotNull(await FindAsync(idle[0]));
    }

    [Theory]
    [InlineData("Retention:IdleConversations", "00:00:30")]
    [InlineData("Retention:Interval", "00:00:00")]
    [InlineData("Retention:BatchSize", "0")]
    [InlineData("Retention:BatchPause", "-00:00:01")]
    public async Task A_bad_setting_fails_the_start_check_naming_it(string key, string value)
    {
        // A host built, not started, as in OpenAiChatApiTests.Start_fails_when_the_model_is_missing.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddApplicationServices();
        await using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    private ConversationRetention Retention(RetentionOptions options) =>
        new(_store, Options.Create(options), _time, Meters, NullLogger<ConversationRetention>.Instance);

    private Task<Conversation?> FindAsync(Guid id) => _store.FindAsync(id, owner: null, 1, Limits.ConversationWindowBytes, CancellationToken.None);

    private async Task<List<Guid>> ConversationsAsync(int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await _store.CreateAsync($"key-{i}", [new(ChatRoles.User, "hello"), new(ChatRoles.Assistant, "hi")], CancellationToken.None));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        return ids;
    }
}

/// <summary>A conversation continued at the end of its period is not deleted while the provider answers.</summary>
public sealed class ContinuationRetentionTests
{
    [Fact]
    public async Task A_continuation_makes_the_conversation_active_before_the_provider_answers()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryConversationStore(time);
        var id = await store.CreateAsync(owner: null, [new(ChatRoles.User, "hello")], CancellationToken.None);
        time.Advance(TimeSpan.FromDays(31));
        var provider = new ScriptedProvider("a", ScriptedProvider.Wait, "b");
        await using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting("Retention:IdleConversations", "00:00:00")   // the round below is the test's, on the test's clock
            .ConfigureTestServices(services =>
            {
                services.RemoveAll<IChatProvider>();
                services.AddSingleton<IChatProvider>(provider);
                services.RemoveAll<IConversationStore>();
                services.AddSingleton<IConversationStore>(store);
            }));
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/chat", UriKind.Relative))
        {
            Content = JsonContent.Create(new { conversationId = id, messages = new[] { new { role = "user", content = "still there?" } }, stream = true }),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(20));
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var retention = new ConversationRetention(
            store, Options.Create(new RetentionOptions()), time, meters.GetRequiredService<IMeterFactory>(), NullLogger<ConversationRetention>.Instance);
        var deleted = await retention.RunOnceAsync(CancellationToken.None);
        provider.Release();
        await response.Content.ReadAsStringAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, deleted);
        var conversation = await store.FindAsync(id, owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None);
        Assert.Equal(["hello", "still there?", "ab"], conversation!.Messages.Select(message => message.Content));
    }
}
