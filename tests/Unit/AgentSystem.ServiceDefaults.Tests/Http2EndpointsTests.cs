using System.Collections.Concurrent;
using System.Net;
using AgentSystem.ServiceDefaults;
using AgentSystem.Testing.Containers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSystem.ServiceDefaults.Tests;

/// <summary>The services' HTTP/2-only port (ServiceDefaults), which the gateway's orchestrator cluster speaks to.</summary>
public sealed class Http2EndpointsTests
{
    /// <summary>What Kestrel warned of at start: bound as given, it has nothing to say.</summary>
    private ConcurrentQueue<string> Warnings { get; } = new();

    [Fact]
    public async Task Urls_keep_http11_and_the_http2_port_of_their_host_answers_http2_alone()
    {
        var (http11, http2) = (ServicePorts.Free(), ServicePorts.Free());
        await using var app = await StartAsync($"http://127.0.0.1:{http11}", http2);
        using var client = new HttpClient();

        Assert.Equal([$"http://127.0.0.1:{http11}", $"http://127.0.0.1:{http2}"], Addresses(app));
        Assert.DoesNotContain(Warnings, warning => warning.Contains("Overriding", StringComparison.Ordinal) || warning.Contains("not enabled", StringComparison.Ordinal));
        Assert.Equal((HttpStatusCode.OK, "HTTP/1.1"), await AskAsync(client, new Uri($"http://127.0.0.1:{http11}"), HttpVersion.Version11));
        Assert.Equal((HttpStatusCode.OK, "HTTP/2"), await AskAsync(client, new Uri($"http://127.0.0.1:{http2}"), HttpVersion.Version20));
        var wrong = await AskAsync(client, new Uri($"http://127.0.0.1:{http2}"), HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Contains("HTTP/2 only endpoint", wrong.Body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Kestrel holds an HTTP/2 connection as a whole to the minimum body rate: one slow body would close the gateway's
    /// connection under every request on it. The gateway holds its clients to that rate; the HTTP/2 port does not again.
    /// </summary>
    [Fact]
    public async Task A_body_slower_than_the_minimum_rate_is_cut_off_on_urls_and_read_whole_on_the_http2_port()
    {
        var (http11, http2) = (ServicePorts.Free(), ServicePorts.Free());
        await using var app = await StartAsync($"http://127.0.0.1:{http11}", http2,
            kestrel => kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1000, gracePeriod: TimeSpan.FromSeconds(2)));
        using var client = new HttpClient();

        var onUrls = SendSlowlyAsync(client, new Uri($"http://127.0.0.1:{http11}/body"), HttpVersion.Version11);
        var onHttp2 = SendSlowlyAsync(client, new Uri($"http://127.0.0.1:{http2}/body"), HttpVersion.Version20);

        Assert.NotEqual((HttpStatusCode.OK, "read 20 bytes"), await onUrls);
        Assert.Equal((HttpStatusCode.OK, "read 20 bytes"), await onHttp2);
    }

    [Fact]
    public async Task Each_host_of_urls_gets_the_http2_port_once()
    {
        var (first, second, third, http2) = (ServicePorts.Free(), ServicePorts.Free(), ServicePorts.Free(), ServicePorts.Free());
        await using var app = await StartAsync($"http://127.0.0.1:{first}; http://localhost:{second}; http://127.0.0.1:{third}", http2);

        Assert.Equal(
            [$"http://127.0.0.1:{first}", $"http://localhost:{second}", $"http://127.0.0.1:{third}", $"http://localhost:{http2}"],
            Addresses(app));
    }

    [Theory]
    [InlineData("127.0.0.1,localhost,::1", "localhost")]
    [InlineData("127.0.0.1,10.1.2.3", "127.0.0.1,10.1.2.3")]
    [InlineData("localhost,10.1.2.3,127.0.0.2", "localhost,10.1.2.3,127.0.0.2")]
    [InlineData("127.0.0.1,0.0.0.0", "0.0.0.0")]
    [InlineData("0.0.0.0,::1", "0.0.0.0,::1")]
    [InlineData("0.0.0.0,localhost", "0.0.0.0,[::1]")]
    [InlineData("0.0.0.0,[::]", "[::]")]
    [InlineData("localhost,orchestrator", "orchestrator")]
    [InlineData("::1,[::]", "[::]")]
    [InlineData("[::1],[0:0:0:0:0:0:0:1],10.1.2.3", "[::1],10.1.2.3")]
    [InlineData("Orchestrator,orchestrator", "Orchestrator")]
    public void The_http2_port_goes_once_on_each_address_the_hosts_cover(string hosts, string expected)
    {
        Assert.Equal(expected.Split(','), Http2Endpoints.Http2Hosts(hosts.Split(',')));
    }

    [Theory]
    [InlineData("https://127.0.0.1:8443", "only http://HOST:PORT")]
    [InlineData("http://unix:/tmp/orchestrator.sock", "only http://HOST:PORT")]
    [InlineData("http://127.0.0.1:8000/base", "only http://HOST:PORT")]
    [InlineData("127.0.0.1", "no address such as")]
    [InlineData("", "Urls is empty")]
    public async Task Urls_it_cannot_bind_as_kestrel_would_are_refused_naming_them(string urls, string message)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(urls, ServicePorts.Free()));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(urls.Length > 0 ? $"'{urls}' in Urls" : Http2Endpoints.Key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Addresses_are_split_as_urls_are()
    {
        Assert.Equal(["http://0.0.0.0:8000", "http://[::1]:8002"], Http2Endpoints.Addresses(" http://0.0.0.0:8000 ;http://[::1]:8002; "));
        Assert.Empty(Http2Endpoints.Addresses(null));
    }

    private static List<string> Addresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses];

    private static async Task<(HttpStatusCode Status, string Body)> AskAsync(HttpClient client, Uri address, Version version)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendSlowlyAsync(HttpClient client, Uri address, Version version)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new SlowContent(),
        };
        try
        {
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException error)
        {
            return (0, error.Message);
        }
    }

    /// <summary>Ten bytes, four seconds of nothing, ten bytes: 5 bytes a second.</summary>
    private sealed class SlowContent : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[10]);
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            await stream.WriteAsync(new byte[10]);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 20;
            return true;
        }
    }

    private async Task<WebApplication> StartAsync(string urls, int http2Port, Action<KestrelServerOptions>? kestrel = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (kestrel is not null)
        {
            builder.Services.Configure(kestrel);
        }

        builder.Configuration["urls"] = urls;
        builder.Configuration[Http2Endpoints.Key] = http2Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new WarningsTo(Warnings));
        Http2Endpoints.Add(builder);
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Request.Protocol);
        app.MapPost("/body", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            return $"read {body.Length} bytes";
        });
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

    private sealed class WarningsTo(ConcurrentQueue<string> warnings) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                warnings.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
