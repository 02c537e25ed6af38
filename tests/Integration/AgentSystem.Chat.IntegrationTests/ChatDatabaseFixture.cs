using AgentSystem.Chat.Storage;
using AgentSystem.Store;
using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;

namespace AgentSystem.Chat.IntegrationTests;

/// <summary>A database of its own per test class, copied from a template that chat's migrator brought up to date once per run.</summary>
public sealed class ChatDatabaseFixture : PostgresDatabaseFixture
{
    protected override async Task InitializeTemplateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(dataSource, ChatSchema.Migrations, ChatSchema.HistoryTable, ChatSchema.LockKey).MigrateAsync(cancellationToken);
    }
}
