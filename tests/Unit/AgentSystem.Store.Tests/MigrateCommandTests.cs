using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentSystem.Store.Tests;

public sealed class MigrateCommandTests
{
    [Fact]
    public void Only_a_first_argument_migrate_selects_the_command()
    {
        Assert.True(MigrateCommand.IsRequested(["migrate"]));
        Assert.True(MigrateCommand.IsRequested(["migrate", "--ConnectionStrings:Postgres=x"]));
        Assert.False(MigrateCommand.IsRequested([]));
        Assert.False(MigrateCommand.IsRequested(["--urls", "http://+:8000"]));
    }

    [Fact]
    public async Task It_prints_what_it_applied_and_exits_0_then_reports_a_current_schema()
    {
        var migrator = new FakeDatabaseMigrator("0001_initial");
        await using var services = new ServiceCollection().AddSingleton<IDatabaseMigrator>(migrator).BuildServiceProvider();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var first = await MigrateCommand.RunAsync(services, output, error, CancellationToken.None);
        var second = await MigrateCommand.RunAsync(services, output, error, CancellationToken.None);

        Assert.Equal(MigrateCommand.Succeeded, first);
        Assert.Equal(MigrateCommand.Succeeded, second);
        Assert.Equal(2, migrator.Calls);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["migrate: applied 0001_initial", "migrate: 1 migration(s) applied.", "migrate: the schema is up to date; nothing to apply."],
            lines);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public async Task PostgreSQL_unreachable_exits_1_with_a_clear_message()
    {
        var migrator = new FakeDatabaseMigrator { FailWith = new NpgsqlException("Failed to connect to 127.0.0.1:1") };
        await using var services = new ServiceCollection().AddSingleton<IDatabaseMigrator>(migrator).BuildServiceProvider();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await MigrateCommand.RunAsync(services, output, error, CancellationToken.None);

        Assert.Equal(MigrateCommand.DatabaseFailed, code);
        Assert.Contains("PostgreSQL is unreachable", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__Postgres", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task A_missing_connection_string_exits_2_naming_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddStore();
        using var host = builder.Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await MigrateCommand.RunAsync(host.Services, output, error, CancellationToken.None);

        Assert.Equal(MigrateCommand.ConfigurationInvalid, code);
        Assert.Contains("Postgres", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_with_the_real_store_exits_1_when_PostgreSQL_is_unreachable()
    {
        // Port 1 on loopback refuses at once; nothing listens there.
        var code = await MigrateCommand.RunAsync(["migrate", "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Timeout=3;Database=unused"], static builder => builder.AddStore());

        Assert.Equal(MigrateCommand.DatabaseFailed, code);
    }
}
