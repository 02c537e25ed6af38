using System.Net;
using AgentSystem.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSystem.Gateway.Tests;

/// <summary>The services' HTTP/2-only addresses (ServiceDefaults), which the gateway's orchestrator cluster speaks to.</summary>
public sealed class Http2EndpointsTests
{
    [Fact]
    public async Task Urls_keep_http11_and_http2_only_urls_answer_http2_without_tls()
    {
        await using var app = await StartAsync("http://127.0.0.1:0", "http://127.0.0.1:0");
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.ToList();
        Assert.Equal(2, addresses.Count);
        using var client = new HttpClient();

        Assert.Equal((HttpStatusCode.OK, "HTTP/1.1"), await AskAsync(client, new Uri(addresses[0]), HttpVersion.Version11));
        Assert.Equal((HttpStatusCode.OK, "HTTP/2"), await AskAsync(client, new Uri(addresses[1]), HttpVersion.Version20));
        var http11 = await AskAsync(client, new Uri(addresses[1]), HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.BadRequest, http11.Status);
        Assert.Contains("HTTP/2 only endpoint", http11.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://127.0.0.1:0")]
    [InlineData("http://unix:/tmp/orchestrator.sock")]
    [InlineData("127.0.0.1")]
    public async Task An_address_other_than_http_host_port_is_refused_naming_it(string http2OnlyUrl)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("http://127.0.0.1:0", http2OnlyUrl));

        Assert.Contains($"'{http2OnlyUrl}' (in Urls or {Http2Endpoints.Key})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Addresses_are_split_as_urls_are()
    {
        Assert.Equal(["http://0.0.0.0:8001", "http://[::1]:8002"], Http2Endpoints.Addresses(" http://0.0.0.0:8001 ;http://[::1]:8002; "));
        Assert.Empty(Http2Endpoints.Addresses(null));
    }

    private static async Task<(HttpStatusCode Status, string Body)> AskAsync(HttpClient client, Uri address, Version version)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<WebApplication> StartAsync(string urls, string http2OnlyUrls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["urls"] = urls;
        builder.Configuration[Http2Endpoints.Key] = http2OnlyUrls;
        builder.Logging.ClearProviders();
        Http2Endpoints.Add(builder);
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Request.Protocol);
        try
        {
            await app.StartAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
