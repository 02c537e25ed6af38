using AgentSystem.Testing.Containers.Modules;
using AgentSystem.Testing.Containers.Sessions;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Containers on a user-defined network reach each other by alias, as services do in compose and k8s.</summary>
public sealed class NetworkTests
{
    [Fact]
    public async Task A_second_container_reaches_the_first_by_its_alias()
    {
        await using var network = await new NetworkBuilder().CreateAsync();
        await using var other = await new NetworkBuilder().CreateAsync();
        await using var cache = await new RedisBuilder().Configure(builder => builder.WithNetwork(network, "cache")).StartAsync();
        // The client joins two networks: the first at create, the second before start.
        await using var client = await new RedisBuilder()
            .Configure(builder => builder.WithNetwork(other, "unrelated").WithNetwork(network, "client"))
            .StartAsync();

        var ping = await client.Container.ExecAsync("redis-cli", "-h", "cache", "ping");
        var set = await client.Container.ExecAsync("redis-cli", "-h", "cache", "set", "from", "client");
        var stored = await cache.ConnectAsync();
        await using (stored)
        {
            Assert.Equal("client", await stored.ExecuteAsync("GET", "from"));
        }

        Assert.Equal(0, ping.ExitCode);
        Assert.Equal("PONG", ping.Stdout.Trim());
        Assert.Equal("OK", set.Stdout.Trim());
    }

    [Fact]
    public async Task A_network_carries_the_session_labels_and_is_removed_on_dispose()
    {
        var environment = await DockerEnvironment.GetAsync();
        var network = await new NetworkBuilder().WithLabel("purpose", "network-test").CreateAsync();

        var listed = await environment.Client.ListNetworksAsync([TestSession.Current.Filter, "purpose=network-test"], CancellationToken.None);
        Assert.Contains(listed, n => n["Id"]?.GetValue<string>() == network.Id);

        await network.DisposeAsync();

        var after = await environment.Client.ListNetworksAsync([TestSession.Current.Filter, "purpose=network-test"], CancellationToken.None);
        Assert.DoesNotContain(after, n => n["Id"]?.GetValue<string>() == network.Id);
    }
}
