using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AgentSystem.Gateway.Tests.Fakes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentSystem.Gateway.Tests;

public sealed class UpstreamFailureTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Upstream_down_is_502_problem_naming_it()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>(), orchestrator: FakeUpstream.UnusedAddress());
        using var client = gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The orchestrator service is unreachable", problem.GetProperty("title").GetString());
        Assert.Equal("The gateway could not get an answer from it (ConnectionError).", problem.GetProperty("detail").GetString());
        Assert.Equal("orchestrator", problem.GetProperty("service").GetString());
    }

    [Fact]
    public async Task Upstream_too_slow_is_504_problem_naming_it()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:00.300" });
        using var client = gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri("/api/tasks/slow", UriKind.Relative));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The orchestrator service did not answer in time", problem.GetProperty("title").GetString());
        Assert.Equal("No response within 0.3 s.", problem.GetProperty("detail").GetString());
        Assert.Equal("orchestrator", problem.GetProperty("service").GetString());
    }

    [Fact]
    public async Task The_timeout_bounds_silence_so_a_lively_event_stream_outlasts_it()
    {
        // Generous margins: a loaded machine must not turn a 0.4 s gap into 2 s.
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:02" });
        using var client = gateway.CreateClient(GatewayFactory.Key);

        // Eight events 400 ms apart: 3.2 s in all, never more than 0.4 s of silence.
        var body = await client.GetStringAsync(new Uri("/api/chat/ticks?count=8&intervalMs=400", UriKind.Relative));

        Assert.Equal(string.Concat(Enumerable.Range(1, 8).Select(i => $"data: {i}\n\n")), body);
    }

    [Fact]
    public async Task A_body_silent_for_longer_than_the_timeout_is_cut_off()
    {
        // The headers come at once; 2 s leaves room for a loaded machine to deliver them before the timeout.
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:02" });
        using var client = gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri("/api/chat/slow-events?delayMs=8000", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var error = await Record.ExceptionAsync(() => response.Content.ReadAsStringAsync());

        // The headers were out, so the only signal left is a broken response, not a 504.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(error is IOException or HttpRequestException, $"expected the body to break, got {error?.GetType().Name ?? "a complete body"}");
    }

    /// <summary>
    /// helper-92: each client whose body stopped left a warning with a ~10 KB stack trace from YARP, and the 408 said
    /// nothing. The timeout that cuts the body off also ends the wait for the upstream's answer, and YARP names whichever
    /// it noticed first: on a loaded machine mostly the upstream's silence, a 504 and a warning for the client's doing.
    /// </summary>
    [Fact]
    public async Task A_request_body_that_stops_is_a_408_and_a_debug_line()
    {
        var logs = new FakeLogCollector();
        await using var gateway = fixture.NewGateway(
            new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:00.500", ["Logging:LogLevel:AgentSystem.Gateway.Proxy"] = "Debug" },
            services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.Address.Host, gateway.Address.Port);
        var stream = client.GetStream();

        // Half of the announced body, and then nothing, the connection left open.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/tasks/echo HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: {GatewayFactory.Key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"goal\": \"{new string('a', 40)}"));
        var answer = await ReadAnswerAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));
        // The rest of the body, late, and a second request: Kestrel drains the first body and answers on the same
        // connection. The cancelled read used to leave its body reader broken: an error with a stack trace in the log
        // for every stalled body (dotnet/aspnetcore#17840), and the connection closed.
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{new string('a', 48)}\"}}" +
            $"GET /api/tasks/echo HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: {GatewayFactory.Key}\r\nConnection: close\r\n\r\n"));
        var second = await ReadAnswerAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        Assert.Contains("\"detail\":\"Nothing of it came for 0.5 s.\"", answer, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", second, StringComparison.Ordinal);
        var entry = Assert.Single(logs.GetSnapshot(), IsTheProxys);
        Assert.Null(entry.Exception);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.StartsWith("Forwarding to orchestrator stopped on the client's side: ", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), e => e.Level >= LogLevel.Error);
    }

    /// <summary>The other side of the same timeout: the whole body was there to send, and the service stopped reading it.</summary>
    [Fact]
    public async Task A_service_that_stops_reading_the_body_and_says_nothing_is_a_504_and_a_warning()
    {
        var logs = new FakeLogCollector();
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:00.500" },
            services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
        using var client = gateway.CreateClient(GatewayFactory.Key);

        // More than the service's HTTP/2 windows take in: the gateway's copy waits in its write to the service.
        using var body = new ByteArrayContent(new byte[4 * 1024 * 1024]);
        body.Headers.ContentType = new("application/json");
        using var response = await client.PostAsync(new Uri("/api/tasks/slow", UriKind.Relative), body);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var entry = Assert.Single(logs.GetSnapshot(), IsTheProxys);
        // Noticed in the wait for the answer or in the body's copy to the service: one line either way, without a stack.
        Assert.Equal((LogLevel.Warning, "Forwarding to orchestrator failed: nothing came from it for 0.5 s", null),
            (entry.Level, entry.Message, entry.Exception));
    }

    /// <summary>helper-96: a service that answers before reading a large body (a 415, a full body budget) left a warning with a stack trace.</summary>
    [Fact]
    public async Task A_service_that_answers_before_reading_the_body_is_no_warning()
    {
        var logs = new FakeLogCollector();
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>(),
            services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
        using var client = gateway.CreateClient(GatewayFactory.Key);

        // The fake orchestrator's POST /tasks answers 202 without reading what it was sent.
        using var body = new ByteArrayContent(new byte[4 * 1024 * 1024]);
        body.Headers.ContentType = new("application/json");
        using var response = await client.PostAsync(new Uri("/api/tasks", UriKind.Relative), body);
        await Task.Delay(TimeSpan.FromMilliseconds(300));   // the forwarder reports the unsent rest after the answer

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.DoesNotContain(logs.GetSnapshot(), entry => entry.Level >= LogLevel.Warning && IsTheProxys(entry));
    }

    // What YARP and the gateway's proxy code log, not the rest of the gateway.
    private static bool IsTheProxys(FakeLogRecord entry) =>
        entry.Category!.StartsWith("Yarp", StringComparison.Ordinal) || entry.Category.StartsWith("AgentSystem.Gateway.Proxy", StringComparison.Ordinal);

    // The status line, headers and body of one response, up to the end of its last chunk or the connection's close.
    private static async Task<string> ReadAnswerAsync(NetworkStream stream)
    {
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while (!answer.ToString().EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal) && (read = await stream.ReadAsync(buffer)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    [Fact]
    public async Task Readyz_is_healthy_when_both_upstreams_answer()
    {
        using var client = fixture.Gateway.CreateClient(apiKey: null);

        var health = await client.GetFromJsonAsync<JsonElement>(new Uri("/readyz", UriKind.Relative));

        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("orchestrator").GetString());
        Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("chat").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_when_an_upstream_is_down()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>(), orchestrator: FakeUpstream.UnusedAddress());
        using var client = gateway.CreateClient(apiKey: null);

        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var checks = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("orchestrator").GetString());
        Assert.Equal("Healthy", checks.GetProperty("chat").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_naming_http2_when_the_orchestrator_address_speaks_http11()
    {
        await using var http11 = await FakeUpstream.StartAsync("orchestrator", HttpProtocols.Http1);
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>(), orchestrator: http11.BaseUrl);
        using var client = gateway.CreateClient(apiKey: null);

        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        var report = await gateway.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("answers HTTP/1.1, not HTTP/2, all the gateway speaks to the orchestrator", report.Entries["orchestrator"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, report.Entries["chat"].Status);
    }
}
