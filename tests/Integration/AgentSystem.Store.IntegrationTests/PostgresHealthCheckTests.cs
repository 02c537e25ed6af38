using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The one PostgreSQL check with a schema to wait for (chat's use): unready until the migrations reach the latest version.</summary>
public sealed class PostgresHealthCheckTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private const string HistoryTable = "health_test_migrations";

    private static readonly Migration[] Migrations =
    [
        new(1, "0001_first", "CREATE TABLE health_test_first (id int)"),
        new(2, "0002_second", "CREATE TABLE health_test_second (id int)"),
    ];

    [Fact]
    public async Task A_schema_check_is_ready_only_once_the_schema_reaches_the_latest_version()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = database.ConnectionString });
        builder.AddPostgresDataSource();
        builder.Services.AddHealthChecks().AddPostgres(HistoryTable, Migrations[^1].Version);
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();

        var unmigrated = await health.CheckHealthAsync();
        await new DatabaseMigrator(dataSource, Migrations[..1], HistoryTable, lockKey: 42).MigrateAsync(CancellationToken.None);
        var behind = await health.CheckHealthAsync();
        await new DatabaseMigrator(dataSource, Migrations, HistoryTable, lockKey: 42).MigrateAsync(CancellationToken.None);
        var current = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, unmigrated.Entries[StoreServiceExtensions.HealthCheckName].Status);
        Assert.Equal(HealthStatus.Unhealthy, behind.Entries[StoreServiceExtensions.HealthCheckName].Status);
        Assert.Contains("version 1, not 2", behind.Entries[StoreServiceExtensions.HealthCheckName].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, current.Status);
        Assert.Contains(StoreServiceExtensions.ReadyTag, current.Entries[StoreServiceExtensions.HealthCheckName].Tags);
    }
}
