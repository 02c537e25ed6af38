using System.Net;
using System.Net.Http.Json;
using AgentSystem.Gateway.Apis;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Tests;

public sealed class GatewayApiTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Probes_answer_200_healthy(string path)
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

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
    public void Start_fails_when_an_upstream_url_is_not_a_url()
    {
        using var broken = factory.WithWebHostBuilder(b => b.UseSetting("Gateway:ChatUrl", "chat-without-scheme"));

        var error = Assert.Throws<OptionsValidationException>(() => broken.CreateClient());

        Assert.Contains(nameof(GatewayOptions.ChatUrl), error.Message, StringComparison.Ordinal);
    }
}
