using System.Net.Sockets;
using System.Text;
using AgentSystem.Testing.Containers.Modules;
using Npgsql;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Starting the two real modules, waiting for them, and reaching them through their random loopback ports.</summary>
public sealed class ContainerStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Postgres_starts_on_a_random_loopback_port_and_answers_select_1()
    {
        await using var postgres = await new PostgresBuilder().WithDatabase("app").StartAsync();

        Assert.Equal("127.0.0.1", postgres.Host);
        Assert.NotEqual(PostgresBuilder.PostgresPort, postgres.Port);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1, current_database(), current_setting('fsync'), current_setting('data_directory')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.Equal("app", reader.GetString(1));
        Assert.Equal("off", reader.GetString(2));
        Assert.Equal(PostgresBuilder.InMemoryDataDirectory, reader.GetString(3));
        output.WriteLine($"PostgreSQL start-to-ready: {postgres.Container.Timing}");
    }

    [Fact]
    public async Task Redis_starts_on_a_random_loopback_port_and_answers_ping_over_a_socket()
    {
        await using var redis = await new RedisBuilder().StartAsync();

        Assert.Equal($"127.0.0.1:{redis.Port}", redis.ConnectionString);
        using var socket = new TcpClient();
        await socket.ConnectAsync(redis.Host, redis.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer);
        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(buffer, 0, read));
        output.WriteLine($"Redis start-to-ready: {redis.Container.Timing}");
    }

    [Fact]
    public async Task A_module_builder_starts_independent_containers()
    {
        var builder = new RedisBuilder().Configure(container => container.WithLabel("purpose", "twice"));

        await using var first = await builder.StartAsync();
        await using var second = await builder.StartAsync();

        Assert.NotEqual(first.Container.Id, second.Container.Id);
        Assert.NotEqual(first.Port, second.Port);
    }

    [Fact]
    public async Task A_disposed_container_is_gone()
    {
        var redis = await new RedisBuilder().StartAsync();
        var environment = await DockerEnvironment.GetAsync();

        await redis.DisposeAsync();
        await redis.DisposeAsync(); // twice is harmless

        Assert.Null(await environment.Client.TryInspectContainerAsync(redis.Container.Id, CancellationToken.None));
        Assert.Contains(ContainerTimings.All, timing => timing.ContainerName == redis.Container.Name);
    }
}
