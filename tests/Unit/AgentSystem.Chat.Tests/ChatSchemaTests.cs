using AgentSystem.Chat.Storage;
using AgentSystem.Store;
using Microsoft.Extensions.Hosting;

namespace AgentSystem.Chat.Tests;

public sealed class ChatSchemaTests
{
    [Fact]
    public void The_embedded_migrations_start_with_the_chat_tables()
    {
        var first = ChatSchema.Migrations[0];

        Assert.Equal((1, "0001_chat"), (first.Version, first.Name));
        Assert.Contains("CREATE TABLE chat_conversations", first.Sql, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE chat_messages", first.Sql, StringComparison.Ordinal);
        Assert.Equal(ChatSchema.Migrations.Count, ChatSchema.Migrations.Select(m => m.Version).Distinct().Count());
        Assert.Equal(ChatSchema.Migrations[^1].Version, ChatSchema.LatestVersion);
    }

    [Fact]
    public void Chats_role_is_granted_chats_tables_and_none_of_the_tasks()
    {
        // What each migrate job grants its service's role: the two lists must not meet.
        Assert.Equal(["chat_conversations", "chat_messages", "chat_owner_storage"], Migration.TablesMadeBy(ChatSchema.Migrations));
        Assert.Equal(["tasks", "jobs", "job_dispatch", "owner_storage"], Migration.TablesMadeBy(Migration.Embedded));
    }

    [Fact]
    public void No_migration_makes_or_renames_a_table_in_a_way_the_grants_would_miss()
    {
        // Migration.TablesMadeBy reads plain CREATE TABLE and DROP TABLE: a table made otherwise would not be granted
        // to its service's role (migrate then fails naming it only if the name it read does not exist).
        var unread = new System.Text.RegularExpressions.Regex(
            @"CREATE\s+(UNLOGGED|TEMP|TEMPORARY|GLOBAL|LOCAL)\s+TABLE|RENAME\s+TO|CREATE\s+(OR\s+REPLACE\s+)?(MATERIALIZED\s+)?VIEW|CREATE\s+TABLE\s+""|DROP\s+TABLE\s+[^;]*,",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase);

        Assert.All(ChatSchema.Migrations.Concat(Migration.Embedded), migration => Assert.DoesNotMatch(unread, migration.Sql));
    }

    [Fact]
    public async Task Migrate_without_a_connection_string_exits_2_naming_it_as_the_orchestrator_does()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddChatMigrator();
        using var host = builder.Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await MigrateCommand.RunAsync(host.Services, output, error, CancellationToken.None);

        Assert.Equal(MigrateCommand.ConfigurationInvalid, code);
        Assert.Contains("ConnectionStrings:Postgres", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task Migrate_exits_1_when_PostgreSQL_is_unreachable()
    {
        // Port 1 on loopback refuses at once; nothing listens there.
        var code = await MigrateCommand.RunAsync(
            ["migrate", "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Timeout=3;Database=unused"], static builder => builder.AddChatMigrator());

        Assert.Equal(MigrateCommand.DatabaseFailed, code);
    }
}
