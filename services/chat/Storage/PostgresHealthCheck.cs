using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AgentSystem.Chat.Storage;

/// <summary>Ready when PostgreSQL answers and the schema is at the latest migration.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource database) : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        await using var command = database.CreateCommand($"SELECT coalesce(max(version), 0) FROM {ChatMigrator.HistoryTable}");
        try
        {
            var version = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            return version >= ChatMigrator.LatestVersion
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"The schema is at version {version}, not {ChatMigrator.LatestVersion}: run the migrate command.");
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The schema is not migrated: run the migrate command.", error);
        }
    }
}
