using System.Globalization;
using System.Text.RegularExpressions;
using AgentSystem.Store;
using Npgsql;

namespace AgentSystem.Chat.Storage;

/// <summary>A versioned SQL file embedded from Migrations/ ("0001_chat.sql" is version 1, "chat").</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Version:D4}_{Name}");
}

/// <summary>
/// Applies the embedded chat migrations not yet recorded in <c>chat_schema_migrations</c> with the store's
/// <see cref="DatabaseMigrator"/> (each in its own transaction, under an advisory lock of chat's own), so concurrent
/// runs (two deploys, a job retried) apply each version once. Run by the <c>migrate</c> command, never at start.
/// </summary>
public sealed partial class ChatMigrator(NpgsqlDataSource database, ILogger<ChatMigrator> logger)
{
    public const string Command = "migrate";
    public const string HistoryTable = "chat_schema_migrations";

    /// <summary>Chat's advisory lock key ("AgSys cht" in ASCII), apart from the task store's.</summary>
    private const long LockKey = 0x4167_5379_7363_6874;

    public static IReadOnlyList<Migration> Migrations { get; } = Load();

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Returns the names of the migrations it applied ("0001_chat"); empty when the schema was current.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var migrator = new DatabaseMigrator(
            database, [.. Migrations.Select(m => new Store.Migration(m.Version, m.ToString(), m.Sql))], HistoryTable, LockKey, logger);
        var applied = await migrator.MigrateAsync(cancellationToken);
        LogCurrent(logger, LatestVersion, applied.Count);
        return applied;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat schema is at version {Version}; {Count} migration(s) applied now")]
    private static partial void LogCurrent(ILogger logger, int version, int count);
}
