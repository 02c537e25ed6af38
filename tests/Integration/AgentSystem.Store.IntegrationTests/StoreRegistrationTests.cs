using AgentSystem.Testing.Containers;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>AddStore: the connection string checked at start, one data source, the repositories, the migrator, a "ready" check.</summary>
public sealed class StoreRegistrationTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Start_fails_naming_ConnectionStrings_Postgres_when_it_is_missing()
    {
        using var host = Build([]);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings:Postgres", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Everything_resolves_the_migrator_brings_the_schema_up_and_the_check_reports_ready()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = database.ConnectionString });
        await host.StartAsync();

        var applied = await host.Services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        var created = await host.Services.GetRequiredService<ITaskRepository>().CreateAsync(
            new NewTask(null, [new NewJob("echo", "hi")], null, null, null), CancellationToken.None);
        var started = await host.Services.GetRequiredService<IJobRepository>().StartAsync([new JobAttempt(created.Task.Jobs[0].Id, 1, TimeSpan.Zero)], CancellationToken.None);
        var health = await host.CheckReadyAsync();

        Assert.Contains("0001_initial", applied);
        Assert.Equal([created.Task.Jobs[0].Id], started);
        Assert.Same(host.Services.GetRequiredService<NpgsqlDataSource>(), host.Services.GetRequiredService<NpgsqlDataSource>());
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains(StoreServiceExtensions.HealthCheckName, health.Entries.Keys);
        await host.StopAsync();
    }

    [Fact]
    public async Task PostgreSQL_down_is_reported_unhealthy_without_failing_start()
    {
        var health = await RegistrationHost.ReadinessAsync(builder => builder.AddStore(), new() { ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=2" });

        Assert.Equal(HealthStatus.Unhealthy, health.Status);
    }

    [Fact]
    public async Task Adding_it_twice_is_harmless()
    {
        var health = await RegistrationHost.ReadinessAsync(builder => builder.AddStore().AddStore(), new() { ["ConnectionStrings:Postgres"] = database.ConnectionString });

        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public async Task The_pool_never_opens_more_than_Postgres_MaxPoolSize_and_names_the_application()
    {
        using var host = Build(new()
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString + ";Maximum Pool Size=50",
            ["Postgres:MaxPoolSize"] = "3",
        }, "AgentSystem.PoolTest");
        await host.StartAsync();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var tasks = host.Services.GetRequiredService<ITaskRepository>();

        // Twenty readers at once, each holding its connection for a moment: they queue for three.
        var peak = 0L;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            await tasks.GetAsync(Guid.NewGuid(), owner: null, CancellationToken.None);
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity, pg_sleep(0.05) WHERE application_name = 'AgentSystem.PoolTest'", connection);
            InterlockedMax(ref peak, (long)(await command.ExecuteScalarAsync())!);
        }));

        Assert.Equal(3, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize);
        Assert.InRange(peak, 1, 3);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_statement_run_again_and_again_is_prepared_on_its_connection_and_stays_prepared_in_the_pool()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = database.ConnectionString, ["Postgres:MaxPoolSize"] = "1" });
        await host.StartAsync();
        await host.Services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        var tasks = host.Services.GetRequiredService<ITaskRepository>();

        // Npgsql prepares a statement on its fifth use; each call takes the pool's one connection and gives it back.
        for (var i = 0; i < 6; i++)
        {
            await tasks.GetAsync(Guid.NewGuid(), owner: null, CancellationToken.None);
        }

        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT statement FROM pg_prepared_statements", connection);
        var prepared = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                prepared.Add(reader.GetString(0));
            }
        }

        Assert.Contains(prepared, statement => statement.Contains("FROM tasks", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_pool_size_out_of_range_fails_the_start_naming_the_setting()
    {
        using var host = Build(new() { ["ConnectionStrings:Postgres"] = database.ConnectionString, ["Postgres:MaxPoolSize"] = "0" });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Postgres:MaxPoolSize", exception.Message, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        for (var current = Interlocked.Read(ref target); value > current; current = Interlocked.Read(ref target))
        {
            Interlocked.CompareExchange(ref target, value, current);
        }
    }

    private static IHost Build(Dictionary<string, string?> settings, string applicationName = "AgentSystem.StoreTests") =>
        RegistrationHost.Build(builder => builder.AddStore(), settings, applicationName);
}
