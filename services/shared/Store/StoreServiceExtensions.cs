using System.Globalization;
using AgentSystem.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

// eShop's convention (as ServiceDefaults): the extensions are in scope in every Program.cs without a using.
namespace Microsoft.Extensions.Hosting;

public static class StoreServiceExtensions
{
    /// <summary>The configuration key of the PostgreSQL connection string (environment: ConnectionStrings__Postgres).</summary>
    public const string ConnectionStringKey = "ConnectionStrings:Postgres";

    public const string HealthCheckName = "postgres";

    /// <summary>The tag ServiceDefaults' /readyz selects (ServiceDefaultsExtensions.ReadyTag).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c> (validated at start),
    /// <see cref="ITaskRepository"/>, <see cref="IJobRepository"/>, <see cref="IJobCancellationReader"/>, <see cref="IDatabaseMigrator"/> and the "ready"
    /// PostgreSQL check (<see cref="PostgresHealthChecks.AddPostgres"/>).
    /// </summary>
    public static IHostApplicationBuilder AddStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(static d => d.ServiceType == typeof(ITaskRepository)))
        {
            return builder;   // already added: a second health check of the same name would fail every probe
        }

        builder.AddPostgresDataSource();
        builder.Services.TryAddSingleton<ITaskRepository>(static services => new TaskRepository(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.TryAddSingleton<IJobRepository>(static services => new JobRepository(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.TryAddSingleton<IJobCancellationReader>(static services => new JobCancellationReader(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.TryAddSingleton<IDatabaseMigrator>(static services => new DatabaseMigrator(
            services.GetRequiredService<NpgsqlDataSource>(), services.GetService<ILogger<DatabaseMigrator>>()));
        builder.Services.AddHealthChecks().AddPostgres();

        return builder;
    }

    /// <summary>
    /// Only the connection: <c>ConnectionStrings:Postgres</c> (validated at start, with a message naming it) and the one
    /// <see cref="NpgsqlDataSource"/> (connection pool) of the process, sized by <c>Postgres:MaxPoolSize</c> and named
    /// after the application in pg_stat_activity. For services with a schema of their own (chat).
    /// </summary>
    public static IHostApplicationBuilder AddPostgresDataSource(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var configuration = builder.Configuration;
        var applicationName = builder.Environment.ApplicationName;
        builder.Services.AddOptions<StoreConnectionOptions>()
            .Configure(options =>
            {
                options.ConnectionString = configuration[ConnectionStringKey];
                var section = configuration.GetSection(StoreConnectionOptions.SectionName);
                options.MaxPoolSize = int.TryParse(section[nameof(StoreConnectionOptions.MaxPoolSize)], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                    ? size
                    : section[nameof(StoreConnectionOptions.MaxPoolSize)] is { Length: > 0 } ? 0 : null;
                options.ApplicationName = section[nameof(StoreConnectionOptions.ApplicationName)] ?? applicationName;
            })
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StoreConnectionOptions>, StoreConnectionOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DatabasePasswordAudit>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SuperuserAudit>());
        builder.Services.TryAddSingleton(static services => StoreDataSource.Create(
            services.GetRequiredService<IOptions<StoreConnectionOptions>>().Value, services.GetService<ILoggerFactory>()));

        return builder;
    }
}
