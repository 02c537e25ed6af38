using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentSystem.Gateway.Security;
using AgentSystem.Gateway.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSystem.Gateway.Tests;

/// <summary>
/// Gateway:MaxConnections and Gateway:MaxConnectionsPerClient, on real Kestrel and raw sockets: idle keep-alive
/// connections, no key, are what took an unlimited gateway down (helper-105).
/// </summary>
public sealed class ConnectionLimitTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_beyond_the_gateways_limit_is_closed_unanswered_and_one_closed_makes_room()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:MaxConnections"] = "3" });
        var held = new List<TcpClient>();
        try
        {
            await HoldAnsweredAsync(gateway.Address, 3, held);
            await AssertRefusedAsync(gateway.Address);

            held[0].Dispose();
            held.RemoveAt(0);
            Assert.StartsWith("HTTP/1.1 200", await AnsweredSoonAsync(gateway.Address), StringComparison.Ordinal);
        }
        finally
        {
            held.ForEach(connection => connection.Dispose());
        }
    }

    [Fact]
    public async Task One_client_gets_its_share_of_connections_and_a_trusted_proxy_is_held_only_to_the_whole_limit()
    {
        await using var limited = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:MaxConnectionsPerClient"] = "2" });
        var held = new List<TcpClient>();
        try
        {
            await HoldAnsweredAsync(limited.Address, 2, held);
            Assert.Equal(2, limited.Services.GetRequiredService<ClientConnectionLimit>().OpenFrom(IPAddress.Loopback));
            await AssertRefusedAsync(limited.Address);

            held.ForEach(connection => connection.Dispose());
            held.Clear();
            Assert.StartsWith("HTTP/1.1 200", await AnsweredSoonAsync(limited.Address), StringComparison.Ordinal);
        }
        finally
        {
            held.ForEach(connection => connection.Dispose());
        }

        await using var behindProxy = fixture.NewGateway(new Dictionary<string, string?>
        {
            ["Gateway:MaxConnectionsPerClient"] = "2",
            ["Gateway:TrustedProxies:0"] = "127.0.0.1",
        });
        try
        {
            await HoldAnsweredAsync(behindProxy.Address, 4, held);
        }
        finally
        {
            held.ForEach(connection => connection.Dispose());
        }
    }

    [Theory]
    [InlineData("10.244.0.0/16")]
    [InlineData("::ffff:10.244.0.0/112")]
    public async Task A_trusted_proxy_matches_in_either_form_of_an_IPv4_mapped_address(string trusted)
    {
        var limit = Limit(perClient: 1, trusted);
        var proxy = IPAddress.Parse("::ffff:10.244.1.7");

        var opened = await OpenAsync(limit, proxy, proxy);

        Assert.Equal(2, opened);
    }

    [Fact]
    public async Task One_IPv6_64_network_is_one_client_and_a_closed_connection_gives_its_place_back()
    {
        var limit = Limit(perClient: 1);

        Assert.Equal(1, await OpenAsync(limit, IPAddress.Parse("2001:db8:1:2::10"), IPAddress.Parse("2001:db8:1:2::20")));
        Assert.Equal(2, await OpenAsync(limit, IPAddress.Parse("2001:db8:1:2::10"), IPAddress.Parse("2001:db8:1:3::10")));
        Assert.Equal(0, limit.OpenFrom(IPAddress.Parse("2001:db8:1:2::10")));
    }

    private static ClientConnectionLimit Limit(int perClient, params string[] trusted) => new(
        Microsoft.Extensions.Options.Options.Create(new GatewayOptions { MaxConnectionsPerClient = perClient, TrustedProxies = trusted }),
        Microsoft.Extensions.Logging.Abstractions.NullLogger<ClientConnectionLimit>.Instance);

    /// <summary>
    /// Connections from <paramref name="peers"/> held open at once through the middleware (each waits until all have
    /// tried); returns how many reached the gateway, then lets them all close.
    /// </summary>
    private static async Task<int> OpenAsync(ClientConnectionLimit limit, params IPAddress[] peers)
    {
        var reached = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connect = limit.Wrap(async _ =>
        {
            Interlocked.Increment(ref reached);
            await release.Task;
        });
        var connections = peers.Select(peer => connect(new Microsoft.AspNetCore.Connections.DefaultConnectionContext { RemoteEndPoint = new IPEndPoint(peer, 40000) })).ToList();
        var count = Volatile.Read(ref reached);
        release.SetResult();
        await Task.WhenAll(connections);
        return count;
    }

    /// <summary>Opens <paramref name="count"/> connections into <paramref name="held"/>, each answered 200 and kept open.</summary>
    private static async Task HoldAnsweredAsync(Uri gateway, int count, List<TcpClient> held)
    {
        for (var i = 0; i < count; i++)
        {
            held.Add(await ConnectAsync(gateway));
            Assert.StartsWith("HTTP/1.1 200", await AskAsync(held[^1]), StringComparison.Ordinal);
        }
    }

    private static async Task AssertRefusedAsync(Uri gateway)
    {
        using var refused = await ConnectAsync(gateway);
        Assert.Null(await AskAsync(refused));
    }

    private static async Task<TcpClient> ConnectAsync(Uri gateway)
    {
        var client = new TcpClient();
        await client.ConnectAsync(gateway.Host, gateway.Port);
        return client;
    }

    /// <summary>The status line of a keep-alive GET /healthz on <paramref name="connection"/>; null when the gateway closed it instead.</summary>
    private static async Task<string?> AskAsync(TcpClient connection)
    {
        var stream = connection.GetStream();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"), timeout.Token);
            var buffer = new byte[4096];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read == 0 ? null : Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
        }
        catch (IOException)
        {
            return null;   // reset by the gateway
        }
    }

    /// <summary>A new connection's answer once the gateway has counted a closed one (it hears the close a moment later).</summary>
    private static async Task<string?> AnsweredSoonAsync(Uri gateway)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var connection = await ConnectAsync(gateway);
            var answer = await AskAsync(connection);
            if (answer is not null || DateTime.UtcNow > deadline)
            {
                return answer;
            }

            await Task.Delay(50);
        }
    }
}
