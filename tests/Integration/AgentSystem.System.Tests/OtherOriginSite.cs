using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentSystem.SystemTests;

/// <summary>
/// A web page on another site than the frontend: its own loopback port, opened as http://localhost while the frontend
/// is http://127.0.0.1, so the browser treats the two as cross-site, as it would a page on the internet. Every request
/// gets the same HTML page.
/// </summary>
public sealed class OtherOriginSite : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _response;
    private readonly Task _serving;

    public OtherOriginSite(string html)
    {
        var body = Encoding.UTF8.GetBytes(html);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        _response = [.. head, .. body];
        _listener.Start();
        _serving = ServeAsync();
    }

    public Uri Address => new($"http://localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[16 * 1024];
                var read = 0;
                // The request's head ends with an empty line; what it asks for does not matter.
                while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    read += n;
                }

                await stream.WriteAsync(_response, _stop.Token);
            }
            catch (Exception error) when (error is IOException or SocketException or OperationCanceledException)
            {
                // The browser closed the connection first, or the site is stopping.
            }
        }
    }
}
