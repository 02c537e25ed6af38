using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Gateway.Tests.Fakes;

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
        Assert.Contains("orchestrator", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upstream_too_slow_is_504_problem_naming_it()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:00.300" });
        using var client = gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri("/api/tasks/slow", UriKind.Relative));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("orchestrator", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Event_streams_are_exempt_from_the_timeout_once_headers_arrived()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:UpstreamTimeout"] = "00:00:00.300" });
        using var client = gateway.CreateClient(GatewayFactory.Key);

        var body = await client.GetStringAsync(new Uri("/api/chat/slow-events?delayMs=1000", UriKind.Relative));

        Assert.Equal("data: late but welcome\n\n", body);
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
}
