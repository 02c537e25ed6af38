using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// Applies the migrations not yet recorded in a history table (<c>schema_migrations</c> by default), in version order,
/// each in a transaction of its own together with its record, so a failure leaves the schema at the last good version.
/// A session advisory lock makes concurrent migrators (several replicas starting at once) take turns: the second one
/// finds nothing to do.
/// </summary>
public sealed partial class DatabaseMigrator : IDatabaseMigrator
{
    /// <summary>The advisory lock key ("AgSys mig" in ASCII); any other user of advisory locks must avoid it.</summary>
    public const long LockKey = 0x4167_5379_736D_6967;

    /// <summary>
    /// The chat service's migrator's key ("AgSys cht"; its ChatSchema uses this one). Here, beside the task store's, so
    /// that the step that grants a service's role its tables (<see cref="ServiceRole"/>) can wait for every migrator
    /// of the database: a GRANT and another migration's ALTER TABLE on the same table fail each other.
    /// </summary>
    public const long ChatLockKey = 0x4167_5379_7363_6874;

    /// <summary>Every migrator's key, in the order a step that needs them all takes them.</summary>
    public static IReadOnlyList<long> EveryLockKey { get; } = [LockKey, ChatLockKey];

    public const string DefaultHistoryTable = "schema_migrations";

    private readonly NpgsqlDataSource _dataSource;
    private readonly IReadOnlyList<Migration> _migrations;
    private readonly long _lockKey;
    private readonly ILogger _logger;

    public DatabaseMigrator(NpgsqlDataSource dataSource, ILogger<DatabaseMigrator>? logger = null)
        : this(dataSource, Migration.Embedded, logger)
    {
    }

    /// <summary>With a migration list of one's own (tests: "the previous version" is a prefix of the list).</summary>
    public DatabaseMigrator(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, ILogger<DatabaseMigrator>? logger = null)
        : this(dataSource, migrations, DefaultHistoryTable, LockKey, logger)
    {
    }

    /// <summary>
    /// For another schema in the same database (the chat service's): its own history table, and its own advisory lock
    /// key so it does not wait for this one. The table name is the caller's constant, never input.
    /// </summary>
    public DatabaseMigrator(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, string historyTable, long lockKey, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentException.ThrowIfNullOrWhiteSpace(historyTable);
        this._dataSource = dataSource;
        this._migrations = [.. migrations.OrderBy(m => m.Version)];
        this.Tables = Migration.TablesMadeBy(this._migrations);
        this.HistoryTable = historyTable;
        this._lockKey = lockKey;
        this._logger = logger ?? NullLogger.Instance;
    }

    public IReadOnlyList<string> Tables { get; }

    public string HistoryTable { get; }

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_lock({_lockKey.ToString(CultureInfo.InvariantCulture)})", cancellationToken).ConfigureAwait(false);
            var failed = true;
            try
            {
                var applied = await ApplyPendingAsync(connection, cancellationToken).ConfigureAwait(false);
                failed = false;
                return applied;
            }
            finally
            {
                // Pooled connections are not reset (StoreDataSource.ResetOnClose): clearing the pool closes this one when it
                // is returned, so its session (the lock, whatever a migration's SQL set) ends with it. Unlocked first all
                // the same, so the next migrator need not wait for the close; after a failure the connection may be
                // broken, and the unlock's own error must not hide the migration's (the close releases the lock anyway).
                _dataSource.Clear();
                try
                {
                    await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({_lockKey.ToString(CultureInfo.InvariantCulture)})", CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception) when (failed)
                {
                }
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<string>> ApplyPendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS {HistoryTable} (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken).ConfigureAwait(false);

        var applied = new HashSet<int>();
        var select = new NpgsqlCommand($"SELECT version FROM {HistoryTable}", connection);
        await using (select.ConfigureAwait(false))
        {
            var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }
        }

        var done = new List<string>();
        foreach (var migration in _migrations.Where(m => !applied.Contains(m.Version)))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                try
                {
                    await ExecuteAsync(connection, migration.Sql, cancellationToken, transaction).ConfigureAwait(false);
                }
                catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Name} waited too long for a lock another session holds ({exception.MessageText}); nothing of it was applied. Start it again once that session's transaction has ended.",
                        exception);
                }
                catch (PostgresException exception)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Name} failed ({exception.SqlState}: {exception.MessageText}); nothing of it was applied, the schema stays at the previous version. Fix the migration and start again.",
                        exception);
                }

                var record = new NpgsqlCommand($"INSERT INTO {HistoryTable} (version, name) VALUES (@version, @name)", connection, transaction)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<int>("version", migration.Version),
                        new NpgsqlParameter<string>("name", migration.Name),
                    },
                };
                await using (record.ConfigureAwait(false))
                {
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            LogApplied(_logger, migration.Name);
            done.Add(migration.Name);
        }

        return done;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    private static partial void LogApplied(ILogger logger, string migration);
}
