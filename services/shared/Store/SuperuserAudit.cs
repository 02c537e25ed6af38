using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// Says once after start, outside Development, when the service connects to PostgreSQL as a superuser: a statement it
/// was tricked into running could then read the server's files and run programs. The migrate command makes a role
/// with no more than the services need (<see cref="ServiceRole"/>). Checked in the background, so a PostgreSQL that is
/// not up yet delays nothing; one that does not answer within a few seconds is not asked again.
/// </summary>
public sealed partial class SuperuserAudit(NpgsqlDataSource dataSource, IHostEnvironment environment, ILogger<SuperuserAudit> logger)
    : BackgroundService
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Whether the data source's user is a superuser; null when PostgreSQL did not answer.</summary>
    public static async Task<bool?> IsSuperuserAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
#pragma warning disable CA1031 // A probe for a warning: whatever goes wrong, the service must run on (a background
        // service's exception would stop the host).
        catch (Exception)
        {
            return null;
        }
#pragma warning restore CA1031
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (environment.IsDevelopment())
        {
            return;
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        patience.CancelAfter(Patience);
        if (await IsSuperuserAsync(dataSource, patience.Token).ConfigureAwait(false) == true)
        {
            LogSuperuser(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "This service connects to PostgreSQL as a superuser: a statement it was tricked into running could read the server's files and run programs; connect as a role that may only read and write the tables (migrate with Migrate__ServiceRole, docs/architecture.md)")]
    private static partial void LogSuperuser(ILogger logger);
}
