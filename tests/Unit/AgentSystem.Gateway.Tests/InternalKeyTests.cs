using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Gateway.Tests.Fakes;

namespace AgentSystem.Gateway.Tests;

/// <summary>
/// The gateway presents <c>Internal:Key</c> to the services behind it (which believe the owner it names only from a
/// holder of that key); a caller's own value never reaches them; a key they refuse keeps the gateway unready.
/// </summary>
public sealed class InternalKeyTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Key = "internal-key-for-the-tests";
    private static readonly Uri Echo = new("/api/tasks/echo", UriKind.Relative);

    [Fact]
    public async Task The_gateway_sends_its_key_in_place_of_the_callers()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Internal:Key"] = Key });
        using var client = gateway.CreateClient(GatewayFactory.Key);
        client.DefaultRequestHeaders.Add(InternalKey.HeaderName, "a-caller-guessing-at-it");

        var echo = await client.GetFromJsonAsync<Echo>(Echo);

        Assert.Equal(Key, echo!.Header(InternalKey.HeaderName));
    }

    [Fact]
    public async Task Without_a_key_set_the_gateway_passes_on_none_not_even_the_callers()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        client.DefaultRequestHeaders.Add(InternalKey.HeaderName, Key);

        var echo = await client.GetFromJsonAsync<Echo>(Echo);

        Assert.Null(echo!.Header(InternalKey.HeaderName));
    }

    [Fact]
    public async Task Services_that_require_the_key_serve_a_gateway_that_has_it()
    {
        await using var orchestrator = await FakeUpstream.StartAsync("orchestrator", internalKey: Key);
        await using var holder = fixture.NewGateway(new Dictionary<string, string?> { ["Internal:Key"] = Key }, orchestrator.BaseUrl);
        using var client = holder.CreateClient(GatewayFactory.Key);

        using var served = await client.GetAsync(Echo);
        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("another-key-of-some-length")]
    [InlineData(null)]
    public async Task A_gateway_whose_key_the_services_refuse_or_that_has_none_stays_unready_and_answers_502(string? gatewayKey)
    {
        await using var orchestrator = await FakeUpstream.StartAsync("orchestrator", internalKey: Key);
        await using var stranger = fixture.NewGateway(new Dictionary<string, string?> { ["Internal:Key"] = gatewayKey }, orchestrator.BaseUrl);
        using var client = stranger.CreateClient(GatewayFactory.Key);

        using var unready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var refused = await client.GetAsync(Echo);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        var checks = (await unready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("orchestrator").GetString());
        Assert.Equal("Healthy", checks.GetProperty("chat").GetString());
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Equal("The orchestrator service refuses the gateway", problem.GetProperty("title").GetString());
        Assert.Equal("orchestrator", problem.GetProperty("service").GetString());
        Assert.DoesNotContain(InternalKey.HeaderName, problem.ToString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.False(refused.Headers.Contains(InternalKey.RefusedHeaderName));
    }

    [Fact]
    public async Task Another_401_of_an_upstream_passes_through_as_it_is()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri("/api/tasks/unauthorized", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("not the internal key's", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }
}
