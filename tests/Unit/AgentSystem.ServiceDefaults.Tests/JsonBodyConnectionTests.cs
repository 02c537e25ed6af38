using System.Net.Sockets;
using System.Text;
using AgentSystem.ServiceDefaults;
using AgentSystem.Testing.Containers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentSystem.ServiceDefaults.Tests;

/// <summary>JsonBody behind a real Kestrel, where what a timed-out read leaves behind decides the connection's fate.</summary>
public sealed class JsonBodyConnectionTests
{
    /// <summary>
    /// A read ended by its token left Kestrel's body reader mid-read: its drain of the rest after the 408 logged an error
    /// with a stack trace and closed the connection (dotnet/aspnetcore#17840), for every caller whose body stopped.
    /// </summary>
    [Fact]
    public async Task A_body_that_stops_is_a_408_and_the_connection_serves_the_next_request()
    {
        var logs = new FakeLogCollector();
        var port = ServicePorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["urls"] = $"http://127.0.0.1:{port}";
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        await using var app = builder.Build();
        app.MapPost("/goal", async (HttpContext context) =>
        {
            var (value, error) = await JsonBody.ReadAsync(context.Request, JsonBodyTests.Shape, 1024, context.RequestAborted, arrivalTimeout: TimeSpan.FromMilliseconds(500));
            return error ?? Results.Text(value!["goal"]);
        });
        await app.StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();

        // Half of the announced body, then nothing until the answer; then the rest, late, and a second request.
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /goal HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"goal\": \"ab"));
        var first = await ReadAnswerAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));
        await stream.WriteAsync(Encoding.ASCII.GetBytes("cdefgh\"}" + "POST /goal HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{\"goal\": \"ok\"}"));
        var second = await ReadAnswerAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 408", first, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", second, StringComparison.Ordinal);
        Assert.EndsWith("ok", second, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), entry => entry.Level >= LogLevel.Error);
    }

    // One response: its headers, then its body, to the end of its last chunk or of its Content-Length.
    private static async Task<string> ReadAnswerAsync(NetworkStream stream)
    {
        var answer = new StringBuilder();
        var buffer = new byte[1];
        while (!Complete(answer.ToString()) && await stream.ReadAsync(buffer) > 0)
        {
            answer.Append((char)buffer[0]);
        }

        return answer.ToString();
    }

    private static bool Complete(string answer)
    {
        var headersEnd = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headersEnd < 0)
        {
            return false;
        }

        var headers = answer[..headersEnd].Split("\r\n");
        if (headers.Any(line => line.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            return answer.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
        }

        var length = headers.FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return answer.Length >= headersEnd + 4 + (length is null ? 0 : int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
