using System.Globalization;
using System.Text.RegularExpressions;
using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;
using Testcontainers.PostgreSql;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>What the library adds to Testcontainers' modules: test settings, loopback ports, start failures that explain themselves.</summary>
public sealed partial class ContainerStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PostgreSQL_runs_without_fsync_on_the_cluster_its_image_initialised_and_publishes_on_loopback_only()
    {
        var postgres = await SharedContainers.GetPostgresAsync();
        await using var connection = new NpgsqlConnection(postgres.GetConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes'), current_setting('data_directory')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("off", "off", "off", TestPostgres.DataDirectory), (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));

        using var docker = EngineClient.Create();
        var inspect = await docker.Containers.InspectContainerAsync(postgres.Id);
        var bindings = inspect.NetworkSettings!.Ports!["5432/tcp"];
        Assert.NotEmpty(bindings);
        Assert.All(bindings, binding => Assert.Equal("127.0.0.1", binding.HostIP));
        output.WriteLine($"{postgres.Name} ({postgres.Image.FullName}) on 127.0.0.1:{bindings[0].HostPort}");
        if (inspect.Config?.Env?.Any(variable => variable.StartsWith("PGDATA_INITIALISED=", StringComparison.Ordinal)) == true)
        {
            // Our image (build/images/postgres): "database system was shut down at <time>" is its build, not an initdb here.
            var (stdout, stderr) = await postgres.GetLogsAsync(timestampsEnabled: false);
            var shutDown = ShutDownAt().Match(stdout + stderr);
            Assert.True(shutDown.Success, "PostgreSQL logs when its cluster was last shut down");
            var at = DateTime.Parse(shutDown.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            Assert.True(at < inspect.Created, $"the cluster was shut down at {at:O}, before the container was created ({inspect.Created:O})");
        }
    }

    [Fact]
    public async Task PostgreSQL_on_the_image_initialised_cluster_takes_the_password_and_database_it_is_given()
    {
        await using var postgres = await TestPostgres.StartAsync(TestPostgres.Builder().WithPassword("an'other").WithDatabase("other_db"));
        await using (var connection = new NpgsqlConnection(postgres.GetConnectionString()))
        {
            await connection.OpenAsync();
            Assert.Equal("other_db", connection.Database);
        }

        var imagePassword = new NpgsqlConnectionStringBuilder(postgres.GetConnectionString()) { Password = PostgreSqlBuilder.DefaultPassword };
        await using var refused = new NpgsqlConnection(imagePassword.ConnectionString);
        var failure = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, failure.SqlState);
    }

    [Fact]
    public async Task A_container_that_never_gets_ready_fails_naming_the_wait_with_its_last_log_lines_and_is_removed()
    {
        // redis-server refuses an unknown directive and exits: the wait can never succeed.
        var redis = TestRedis.Builder("--no-such-directive", "on").Build();
        var id = "";
        redis.Created += (_, _) => id = redis.Id;

        var failure = await Assert.ThrowsAsync<ContainerStartException>(() => ContainerStart.StartAsync(redis, TestRedis.Wait));

        output.WriteLine(failure.Message);
        Assert.Contains($"waiting for {TestRedis.Wait}", failure.Message, StringComparison.Ordinal);
        Assert.Contains(TestImages.Redis, failure.Message, StringComparison.Ordinal);
        Assert.Contains("| >>> 'no-such-directive \"on\"'", failure.Message, StringComparison.Ordinal);   // Redis's own complaint, from its log
        using var docker = EngineClient.Create();
        Assert.NotEmpty(id);
        Assert.False(await EngineClient.ContainerExistsAsync(docker, id), "the failed container is removed");
    }

    [GeneratedRegex(@"database system was shut down at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")]
    private static partial Regex ShutDownAt();
}
