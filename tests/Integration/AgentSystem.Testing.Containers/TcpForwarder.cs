using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// A stable loopback endpoint in front of a container whose published port changes when it restarts (the engine picks
/// a new random host port on every start). <see cref="Retarget"/> points it at the new port and drops the old
/// connections, as the restart itself would; clients reconnect to the same address, as they would to a real server.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<TcpClient, TcpClient> pairs = new();
    private readonly Task accepting;
    private volatile int targetPort;

    public TcpForwarder(int targetPort)
    {
        this.targetPort = targetPort;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync();
    }

    public int Port { get; }

    public void Retarget(int port)
    {
        targetPort = port;
        foreach (var (client, server) in pairs)
        {
            client.Dispose();
            server.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        Retarget(0);
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }

        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, targetPort, stopping.Token);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ArgumentOutOfRangeException)
        {
            client.Dispose();
            server.Dispose();
            return;
        }

        pairs[client] = server;
        try
        {
            var up = client.GetStream().CopyToAsync(server.GetStream(), stopping.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), stopping.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            pairs.TryRemove(client, out _);
            client.Dispose();
            server.Dispose();
        }
    }
}
