using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using AgentSystem.Store;
using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;

namespace AgentSystem.Chat.IntegrationTests;

/// <summary>Chat's migrations over a database that already holds conversations.</summary>
public sealed class ChatMigrationTests : IAsyncLifetime
{
    // An empty database of its own: the base fixture's template holds no schema.
    private readonly PostgresDatabaseFixture _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task A_conversation_stored_before_owners_is_no_keys_after_the_migration_and_kept_whole()
    {
        await using var dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        var before = ChatSchema.Migrations.Where(m => m.Version < 3).ToList();
        await Migrator(dataSource, before).MigrateAsync(CancellationToken.None);
        var store = new PostgresConversationStore(dataSource);
        var id = Guid.CreateVersion7();
        // As the store of that version wrote them (today's writes columns those migrations had not made yet).
        await using (var insert = dataSource.CreateBatch())
        {
            insert.BatchCommands.Add(new("INSERT INTO chat_conversations (id, created_at, updated_at) VALUES ($1, now(), now())") { Parameters = { new() { Value = id } } });
            insert.BatchCommands.Add(new("INSERT INTO chat_messages (conversation_id, role, content, created_at) VALUES ($1, 'user', 'kept', now())") { Parameters = { new() { Value = id } } });
            await insert.ExecuteNonQueryAsync();
        }

        var applied = await Migrator(dataSource, ChatSchema.Migrations).MigrateAsync(CancellationToken.None);

        Assert.Equal(ChatSchema.Migrations.Where(m => m.Version >= 3).Select(m => m.Name), applied);
        Assert.Null(await store.FindAsync(id, "key-0", 10, Limits.ConversationWindowBytes, CancellationToken.None));
        Assert.Empty((await store.ListAsync("key-0", 1, 10, CancellationToken.None)).Items);
        var kept = await store.FindAsync(id, owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None);
        Assert.Equal(["kept"], kept!.Messages.Select(m => m.Content));
    }

    private static DatabaseMigrator Migrator(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations) =>
        new(dataSource, migrations, ChatSchema.HistoryTable, ChatSchema.LockKey);
}
