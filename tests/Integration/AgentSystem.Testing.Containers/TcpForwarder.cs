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
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _pairs = new();
    private readonly Task _accepting;
    private volatile int _targetPort;

    public TcpForwarder(int targetPort)
    {
        this._targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public void Retarget(int port)
    {
        _targetPort = port;
        foreach (var (client, server) in _pairs)
        {
            client.Dispose();
            server.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Retarget(0);
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
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
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ArgumentOutOfRangeException)
        {
            client.Dispose();
            server.Dispose();
            return;
        }

        _pairs[client] = server;
        try
        {
            var up = client.GetStream().CopyToAsync(server.GetStream(), _stopping.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), _stopping.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            _pairs.TryRemove(client, out _);
            client.Dispose();
            server.Dispose();
        }
    }
}
