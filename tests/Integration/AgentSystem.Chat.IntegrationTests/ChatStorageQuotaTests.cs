using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Chat.IntegrationTests;

/// <summary>chat_owner_storage: an API key's messages counted by the statements that store them, given back by retention.</summary>
public sealed class ChatStorageQuotaTests(ChatDatabaseFixture database) : IClassFixture<ChatDatabaseFixture>, IAsyncLifetime
{
    private const long Quota = 1024 * 1024;

    private NpgsqlDataSource _dataSource = null!;
    private PostgresConversationStore _store = null!;

    public Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        _store = new PostgresConversationStore(_dataSource, Options.Create(new ChatOptions { MaxStoredBytesPerKey = Quota }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task Messages_past_the_quota_are_refused_with_nothing_written_and_the_cluster_counts_against_no_key()
    {
        var owner = Owner();
        var id = await _store.CreateAsync(owner, Messages(30), CancellationToken.None);   // 960,000 bytes

        var refused = await Assert.ThrowsAsync<StorageQuotaExceededException>(() => _store.AppendAsync(id, owner, Messages(4), CancellationToken.None));
        await Assert.ThrowsAsync<StorageQuotaExceededException>(() => _store.CreateAsync(owner, Messages(3), CancellationToken.None));

        Assert.Equal((Quota, 128_000L, (long?)960_000L), (refused.Quota, refused.Needed, refused.Stored));
        Assert.Equal(30, (await _store.FindAsync(id, owner, 100, int.MaxValue, CancellationToken.None))!.MessageCount);
        Assert.Equal(960_000L, await _store.StoredBytesAsync(owner, CancellationToken.None));
        await _store.AppendAsync(id, owner, Messages(2), CancellationToken.None);
        Assert.Equal(1_024_000L, await _store.StoredBytesAsync(owner, CancellationToken.None));

        await _store.CreateAsync(AgentSystem.Contracts.Owner.Worker, Messages(40), CancellationToken.None);
        await _store.CreateAsync(owner: null, Messages(40), CancellationToken.None);
        Assert.Equal(0L, await _store.StoredBytesAsync(AgentSystem.Contracts.Owner.Worker, CancellationToken.None));
    }

    [Fact]
    public async Task Writes_at_once_to_different_conversations_never_pass_the_quota_together()
    {
        var owner = Owner();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                await _store.CreateAsync(owner, Messages(5), CancellationToken.None);   // 160,000 bytes each
                return true;
            }
            catch (StorageQuotaExceededException)
            {
                return false;
            }
        }));

        Assert.Equal(6, outcomes.Count(created => created));
        Assert.Equal(960_000L, await _store.StoredBytesAsync(owner, CancellationToken.None));
    }

    [Fact]
    public async Task What_a_caller_inside_the_cluster_appends_counts_against_the_conversations_key()
    {
        var owner = Owner();
        var id = await _store.CreateAsync(owner, Messages(30), CancellationToken.None);

        await _store.AppendAsync(id, owner: null, Messages(2), CancellationToken.None);
        await Assert.ThrowsAsync<StorageQuotaExceededException>(() => _store.AppendAsync(id, owner: null, Messages(1), CancellationToken.None));

        Assert.Equal(1_024_000L, await _store.StoredBytesAsync(owner, CancellationToken.None));
    }

    [Fact]
    public async Task Retention_gives_back_what_a_deleted_conversation_held()
    {
        var owner = Owner();
        var kept = await _store.CreateAsync(owner, Messages(1), CancellationToken.None);
        var id = await _store.CreateAsync(owner, Messages(20), CancellationToken.None);
        await _store.AppendAsync(id, owner, Messages(9), CancellationToken.None);
        await using (var backdate = _dataSource.CreateCommand("UPDATE chat_conversations SET updated_at = now() - interval '400 days' WHERE id = $1"))
        {
            backdate.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            await backdate.ExecuteNonQueryAsync();
        }

        while (await _store.DeleteIdleBeforeAsync(DateTimeOffset.UtcNow.AddDays(-399), 10, CancellationToken.None) > 0)
        {
        }

        Assert.Null(await _store.FindAsync(id, owner, 1, 1, CancellationToken.None));
        Assert.NotNull(await _store.FindAsync(kept, owner, 1, int.MaxValue, CancellationToken.None));
        Assert.Equal(32_000L, await _store.StoredBytesAsync(owner, CancellationToken.None));   // the kept one's, exactly
        await _store.CreateAsync(owner, Messages(30), CancellationToken.None);
    }

    private static string Owner() => "chat-quota-" + Guid.NewGuid().ToString("N")[..12];

    // Each message 32,000 bytes of UTF-8.
    private static List<ChatMessage> Messages(int count) => [.. Enumerable.Range(0, count).Select(_ => new ChatMessage("user", new string('c', 32_000)))];
}
