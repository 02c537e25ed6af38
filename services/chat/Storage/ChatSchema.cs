using AgentSystem.Store;
using Npgsql;

namespace AgentSystem.Chat.Storage;

/// <summary>
/// Chat's own schema (Migrations/*.sql, embedded) beside the task store's, in the same database: its history table
/// and advisory lock key, so it is migrated apart from (and never waits for) the task store's. Applied by the
/// <c>migrate</c> command with the store's <see cref="DatabaseMigrator"/>, never at start.
/// </summary>
public static class ChatSchema
{
    public const string HistoryTable = "chat_schema_migrations";

    /// <summary>Chat's advisory lock key ("AgSys cht" in ASCII), apart from the task store's (the Store lists both).</summary>
    public const long LockKey = DatabaseMigrator.ChatLockKey;

    public static IReadOnlyList<Migration> Migrations { get; } = Migration.Load(typeof(ChatSchema).Assembly);

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>What the migrate command needs: the connection (ConnectionStrings:Postgres, required) and chat's migrator.</summary>
    public static IHostApplicationBuilder AddChatMigrator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.AddPostgresDataSource();
        builder.Services.AddSingleton<IDatabaseMigrator>(static services => new DatabaseMigrator(
            services.GetRequiredService<NpgsqlDataSource>(), Migrations, HistoryTable, LockKey, services.GetService<ILogger<DatabaseMigrator>>()));
        return builder;
    }
}
