using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The warning a service gives outside Development when it connects to PostgreSQL as a superuser.</summary>
public sealed class SuperuserAuditTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Theory]
    [InlineData("Production", true)]
    [InlineData("Development", false)]
    public async Task A_superuser_connection_is_warned_about_outside_Development(string environment, bool warned)
    {
        // The test server's user is the image's superuser, as a deploy without a service role would connect.
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var logger = new RecordingLogger();
        using var audit = new SuperuserAudit(dataSource, new HostingEnvironment { EnvironmentName = environment }, logger);

        await audit.StartAsync(CancellationToken.None);
        await audit.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(warned, logger.Warnings.Any(w => w.Contains("as a superuser", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_services_role_and_an_unreachable_server_are_not_superusers()
    {
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        await using var owner = NpgsqlDataSource.Create(database.ConnectionString);
        await using (var create = owner.CreateCommand($"CREATE ROLE {role} LOGIN PASSWORD 'p'"))
        {
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            await using var asRole = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role, Password = "p", Pooling = false }.ConnectionString);
            await using var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=2;Username=x;Password=y;Database=z");

            Assert.True(await SuperuserAudit.IsSuperuserAsync(owner, CancellationToken.None));
            Assert.False(await SuperuserAudit.IsSuperuserAsync(asRole, CancellationToken.None));
            Assert.Null(await SuperuserAudit.IsSuperuserAsync(nowhere, CancellationToken.None));
        }
        finally
        {
            await using var drop = owner.CreateCommand($"DROP ROLE {role}");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private sealed class RecordingLogger : ILogger<SuperuserAudit>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
