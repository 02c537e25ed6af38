using System.Net;
using System.Net.Http.Json;
using AgentSystem.Gateway.Apis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Tests;

public sealed class GatewayApiTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task Healthz_answers_200_healthy()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"status\":\"Healthy\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_names_the_service_and_its_version()
    {
        using var client = factory.CreateClient();

        var info = await client.GetFromJsonAsync<ServiceInfo>(new Uri("/api/info", UriKind.Relative));

        Assert.NotNull(info);
        Assert.Equal("gateway", info.Name);
        Assert.StartsWith("1.0.0", info.Version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_has_a_default_key()
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-only-api-key-not-a-secret");

        // 404, not 401: the key was accepted.
        using var response = await client.GetAsync(new Uri("/api/nope", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void Start_fails_when_an_upstream_url_is_not_a_url()
    {
        using var broken = factory.WithWebHostBuilder(b => b.UseSetting("Gateway:ChatUrl", "chat-without-scheme"));

        var error = Assert.Throws<OptionsValidationException>(() => broken.CreateClient());

        Assert.Contains(nameof(GatewayOptions.ChatUrl), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_fails_on_a_timeout_that_is_surely_a_mistake()
    {
        using var broken = factory.WithWebHostBuilder(b => b.UseSetting("Gateway:UpstreamTimeout", "30"));

        var error = Assert.Throws<OptionsValidationException>(() => broken.CreateClient());

        Assert.Contains("Gateway:UpstreamTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_fails_without_an_api_key_naming_the_setting()
    {
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment(Environments.Production));

        var error = Assert.Throws<OptionsValidationException>(() => production.CreateClient());

        Assert.Contains("Gateway:ApiKeys", error.Message, StringComparison.Ordinal);
    }
}
