using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AgentSystem.Gateway.Tests.Fakes;

/// <summary>
/// A caller from outside: HttpClient in this process is instrumented by the gateway's OpenTelemetry, which puts a
/// traceparent of its own on every request and so would overwrite the one a test sends. HTTP/1.0 over a socket, so the
/// answer ends when the connection closes.
/// </summary>
public static class UntracedCaller
{
    public static async Task<Echo> GetEchoAsync(Uri gateway, string pathAndQuery, IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(headers);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.Host, gateway.Port);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"GET {pathAndQuery} HTTP/1.0\r\nHost: {gateway.Authority}\r\n");
        foreach (var (name, value) in headers)
        {
            request.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var body = response.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0 ? response[(end + 4)..] : "";
        Assert.True(response.StartsWith("HTTP/1.0 200 ", StringComparison.Ordinal) || response.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal), response);
        return JsonSerializer.Deserialize<Echo>(body, JsonSerializerOptions.Web)!;
    }
}
