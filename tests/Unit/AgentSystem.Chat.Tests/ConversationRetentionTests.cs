using System.Diagnostics.Metrics;
using AgentSystem.Chat.Extensions;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
    public async Task A_period_of_zero_keeps_every_conversation()
    {
        var idle = await ConversationsAsync(1);
        _time.Advance(TimeSpan.FromDays(3650));
        using var retention = Retention(new RetentionOptions { IdleConversations = TimeSpan.Zero });

        await retention.StartAsync(CancellationToken.None);
        await retention.ExecuteTask!;

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
