using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// An owner's storage quota as the task store and chat keep it: a table of (owner, bytes, quota) whose CHECK, named
/// <c>{table}_within_quota</c>, refuses a write that would pass the quota, added to by the statements that store,
/// given back by retention.
/// </summary>
public static class OwnerStorage
{
    /// <summary>Whether <paramref name="error"/> is <paramref name="storageTable"/>'s CHECK refusing a write past a quota.</summary>
    public static bool IsRefusal(PostgresException error, string storageTable)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.SqlState == PostgresErrorCodes.CheckViolation && error.ConstraintName == storageTable + "_within_quota";
    }

    /// <summary>What <paramref name="owner"/> holds now by <paramref name="storageTable"/> (0 before its first write).</summary>
    public static async Task<long> StoredBytesAsync(NpgsqlDataSource dataSource, string storageTable, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var command = dataSource.CreateCommand($"SELECT bytes FROM {storageTable} WHERE owner = $1");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long? ?? 0;
        }
    }

    /// <summary>
    /// The CTEs that give back to <paramref name="storageTable"/> (owner, bytes: an owner's storage quota) what the rows
    /// of a CTE named <c>deleted</c> (owner, stored_bytes) held, locking the owners' rows in owner order as the writes
    /// that add to them do (no deadlock). For a retention statement: <c>WITH deleted AS (DELETE ... RETURNING owner,
    /// stored_bytes), {this} SELECT ...</c>.
    /// </summary>
    public static string GiveBackSql(string storageTable) => $"""
        freed AS (
            SELECT owner, sum(stored_bytes) AS bytes FROM deleted GROUP BY owner),
        locked AS (
            SELECT s.owner FROM {storageTable} s JOIN freed f ON f.owner = s.owner ORDER BY s.owner FOR UPDATE OF s),
        given_back AS (
            UPDATE {storageTable} s SET bytes = greatest(s.bytes - f.bytes, 0)
            FROM freed f WHERE s.owner = f.owner AND s.owner IN (SELECT owner FROM locked))
        """;
}
