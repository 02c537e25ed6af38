using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentSystem.Chat.Storage;

/// <summary>A versioned SQL file embedded from Migrations/ ("0001_chat.sql" is version 1, "chat").</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Version:D4}_{Name}");
}

/// <summary>
/// Applies the embedded migrations not yet recorded in <c>chat_schema_migrations</c>, all in one transaction under an
/// advisory lock, so concurrent runs (two deploys, a job retried) apply each version once. Run by the <c>migrate</c> command,
/// never at start. Same shape as AgentSystem.Store's IDatabaseMigrator, without depending on the task store's library.
/// </summary>
public sealed partial class ChatMigrator(NpgsqlDataSource database, ILogger<ChatMigrator> logger)
{
    public const string Command = "migrate";

    public static IReadOnlyList<Migration> Migrations { get; } = Load();

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Returns the names of the migrations it applied ("0001_chat"); empty when the schema was current.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtext('chat_schema_migrations'))", cancellationToken);
        await ExecuteAsync(
            connection,
            "CREATE TABLE IF NOT EXISTS chat_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            cancellationToken);

        var applied = new HashSet<int>();
        await using (var select = new NpgsqlCommand("SELECT version FROM chat_schema_migrations", connection))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var pending = Migrations.Where(migration => !applied.Contains(migration.Version)).ToList();
        foreach (var migration in pending)
        {
            await ExecuteAsync(connection, migration.Sql, cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO chat_schema_migrations (version, name) VALUES ($1, $2)", connection)
            {
                Parameters = { new() { Value = migration.Version }, new() { Value = migration.Name } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken);
            LogApplied(logger, migration);
        }

        await transaction.CommitAsync(cancellationToken);
        LogCurrent(logger, LatestVersion, pending.Count);
        return [.. pending.Select(migration => migration.ToString())];
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> Load()
    {
        var assembly = typeof(ChatMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (FileName().Match(resource) is not { Success: true } match)
            {
                continue;
            }

            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new Migration(int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        var duplicate = migrations.GroupBy(migration => migration.Version).FirstOrDefault(group => group.Count() > 1);
        return duplicate is null && migrations.Count > 0
            ? migrations
            : throw new InvalidOperationException(duplicate is null ? "No migration is embedded (Migrations/*.sql)." : $"Two migrations have version {duplicate.Key}.");
    }

    [GeneratedRegex(@"^Migrations/(?<version>\d+)_(?<name>[\w-]+)\.sql$")]
    private static partial Regex FileName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    private static partial void LogApplied(ILogger logger, Migration migration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat schema is at version {Version}; {Count} migration(s) applied now")]
    private static partial void LogCurrent(ILogger logger, int version, int count);
}
