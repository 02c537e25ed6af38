using System.Globalization;
using HealthChecks.NpgSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// The one PostgreSQL readiness check every service registers (AspNetCore.HealthChecks.NpgSql on the process's
/// <see cref="NpgsqlDataSource"/>), named "postgres" and tagged "ready" so /readyz reports it and /healthz does not.
/// </summary>
public static class PostgresHealthChecks
{
    /// <summary>A probe waits no longer than this for PostgreSQL (the connection timeout alone is 15 s).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Ready when PostgreSQL answers; with a <paramref name="historyTable"/>, also only once the schema recorded there
    /// has reached <paramref name="latestVersion"/> (the migrate command has run).
    /// </summary>
    public static IHealthChecksBuilder AddPostgres(this IHealthChecksBuilder checks, string? historyTable = null, int latestVersion = 0)
    {
        ArgumentNullException.ThrowIfNull(checks);
        return checks.Add(new HealthCheckRegistration(
            StoreServiceExtensions.HealthCheckName,
            services => new NpgSqlHealthCheck(Options(services.GetRequiredService<NpgsqlDataSource>(), historyTable, latestVersion)),
            failureStatus: null,
            tags: [StoreServiceExtensions.ReadyTag],
            Timeout));
    }

    private static NpgSqlHealthCheckOptions Options(NpgsqlDataSource dataSource, string? historyTable, int latestVersion) =>
        historyTable is null
            ? new NpgSqlHealthCheckOptions(dataSource)
            : new NpgSqlHealthCheckOptions(dataSource)
            {
                // The table is the caller's constant, never input. A missing table fails the query: not migrated either.
                CommandText = $"SELECT coalesce(max(version), 0) FROM {historyTable}",
                HealthCheckResultBuilder = result => Convert.ToInt32(result, CultureInfo.InvariantCulture) is var version && version >= latestVersion
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture,
                        $"The schema is at version {version}, not {latestVersion}: run the migrate command.")),
            };
}
