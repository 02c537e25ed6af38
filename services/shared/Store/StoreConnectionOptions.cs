using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>The PostgreSQL connection string, from <c>ConnectionStrings:Postgres</c> (environment: ConnectionStrings__Postgres).</summary>
public sealed class StoreConnectionOptions
{
    public string? ConnectionString { get; set; }
}

internal sealed class StoreConnectionOptionsValidator : IValidateOptions<StoreConnectionOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreConnectionOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail(StoreDataSource.MissingMessage)
            : ValidateOptionsResult.Success;
}

/// <summary>Creates the one data source (connection pool) a process shares.</summary>
public static class StoreDataSource
{
    internal static readonly string MissingMessage =
        $"{StoreServiceExtensions.ConnectionStringKey} is not set: give the PostgreSQL connection string, e.g. "
        + "ConnectionStrings__Postgres=\"Host=localhost;Username=agentsystem;Password=...;Database=agentsystem\" in the environment.";

    public static NpgsqlDataSource Create(string? connectionString, ILoggerFactory? loggerFactory = null)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(MissingMessage);
        }

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        return builder.Build();
    }
}
