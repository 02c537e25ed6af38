using AgentSystem.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// Says at start, outside Development, when the database password is one of the repository's development values (the
/// Kubernetes base's <c>dev-only-...</c>): whoever has read the repository and reaches PostgreSQL can use it.
/// </summary>
public sealed partial class DatabasePasswordAudit(IOptions<StoreConnectionOptions> options, IHostEnvironment environment, ILogger<DatabasePasswordAudit> logger)
    : IHostedService
{
    public static bool IsDevelopmentPassword(string? connectionString)
    {
        try
        {
            return DevelopmentValues.Is(new NpgsqlConnectionStringBuilder(connectionString ?? "").Password);
        }
        catch (ArgumentException)
        {
            return false;   // the connection's own validation names what is wrong with it
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() && IsDevelopmentPassword(options.Value.ConnectionString))
        {
            LogDevelopmentPassword(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The database password is a development value of the repository's (dev-only-...): whoever has read it and reaches PostgreSQL can use it; set a password of your own")]
    private static partial void LogDevelopmentPassword(ILogger logger);
}
