using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Gateway.Tests.Fakes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
