using System.Net;
using System.Net.Http.Json;
using AgentSystem.Gateway.Apis;
using AgentSystem.Gateway.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>
    /// Nothing of the gateway's is protected with it, so its keys stay in memory: the key ring made at start too, which
    /// Dev wrote to ~/.aspnet/DataProtection-Keys (in a container, with nowhere to keep it, it warned three times).
    /// </summary>
    [Fact]
    public void Data_protection_keeps_its_keys_and_key_ring_in_memory()
    {
        using var client = factory.CreateClient();   // started: the key ring's warm-up has run

        Assert.IsType<EphemeralDataProtectionProvider>(factory.Services.GetRequiredService<IDataProtectionProvider>());
        var repository = factory.Services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository;
        Assert.Equal("InMemoryKeyRepository", repository?.GetType().Name);
        Assert.NotEmpty(repository!.GetAllElements());
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

    [Theory]
    [InlineData("Gateway:ChatUrl", "chat-without-scheme", nameof(GatewayOptions.ChatUrl))]
    [InlineData("Gateway:UpstreamTimeout", "30", "Gateway:UpstreamTimeout")]
    [InlineData("Gateway:AllowedHosts:0", "https://api.example.com", "Gateway:AllowedHosts")]
    [InlineData("Gateway:ApiKeys:billing.eu", "another-key", "Gateway:ApiKeys:billing.eu")]
    [InlineData("Gateway:ApiKeys:1", "dev-only-api-key-not-a-secret", "hold the same key")]
    public void Start_fails_on_a_bad_setting_naming_it(string key, string value, string named)
    {
        var error = Assert.Throws<OptionsValidationException>(() => CheckStart(Environments.Development, new() { [key] = value }));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_fails_without_an_api_key_naming_the_setting()
    {
        var error = Assert.Throws<OptionsValidationException>(() => CheckStart(Environments.Production, []));

        Assert.Contains("Gateway:ApiKeys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_development_settings_pass_the_start_check() => CheckStart(Environments.Development, []);

    // What the host checks before it listens, on the service's own appsettings (copied to the test's output): building
    // resolves Kestrel's options, which read GatewayOptions, so a bad setting fails there, as in Program.cs; anything
    // else ValidateOnStart checks after. Not through WebApplicationFactory: see OpenAiChatApiTests (chat).
    private static void CheckStart(string environment, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddApplicationServices();
        using var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
    }
}
