using System.Net;
using System.Net.Sockets;
using AgentSystem.Gateway.Proxy;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSystem.Gateway.Tests;

/// <summary>
/// What the readiness check says for each way a request can fail, with the exceptions SocketsHttpHandler throws;
/// UpstreamFailureTests sees the same against real servers, where which one comes is up to timing.
/// </summary>
public sealed class UpstreamHealthCheckTests
{
    private static readonly Upstream Orchestrator = new("orchestrator", new Uri("http://orchestrator:8001"), HttpVersion.Version20);
    private static readonly Upstream Chat = new("chat", new Uri("http://chat:8080"), HttpVersion.Version11);

    public static TheoryData<HttpRequestException> WrongPortForHttp2 => new()
    {
        new HttpRequestException(HttpRequestError.HttpProtocolError, "GOAWAY HTTP_1_1_REQUIRED", new HttpProtocolException(0xd, "closed", null)),
        // The same GOAWAY before the handshake finished.
        new HttpRequestException(HttpRequestError.Unknown, "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake."),
    };

    [Theory]
    [MemberData(nameof(WrongPortForHttp2))]
    public async Task An_http2_upstream_that_answers_http11_instead_is_named_as_the_wrong_port(HttpRequestException error)
    {
        var result = await CheckAsync(Orchestrator, error, http11Answers: true);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("http://orchestrator:8001/healthz/internal-key answers HTTP/1.1, not HTTP/2, all the gateway speaks to the orchestrator: is its port the orchestrator's Http2Port, not one of its Urls?", result.Description);
    }

    [Theory]
    [MemberData(nameof(WrongPortForHttp2))]
    public async Task An_http2_upstream_that_answers_nothing_is_said_to_close_the_connection(HttpRequestException error)
    {
        var result = await CheckAsync(Orchestrator, error, http11Answers: false);

        Assert.Equal("http://orchestrator:8001/healthz/internal-key closed the connection before an HTTP/2 handshake.", result.Description);
    }

    [Fact]
    public async Task A_refused_connection_is_unreachable_whatever_the_protocol()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal("http://orchestrator:8001/healthz/internal-key is unreachable.", (await CheckAsync(Orchestrator, refused)).Description);
        Assert.Equal("http://chat:8080/healthz/internal-key is unreachable.", (await CheckAsync(Chat, refused)).Description);
    }

    [Fact]
    public async Task An_unknown_failure_with_a_cause_is_not_blamed_on_the_port()
    {
        var error = new HttpRequestException(HttpRequestError.Unknown, "failed", new IOException("broken pipe"));

        Assert.Equal("http://orchestrator:8001/healthz/internal-key is unreachable.", (await CheckAsync(Orchestrator, error)).Description);
    }

    [Fact]
    public async Task An_http11_upstream_with_a_protocol_error_names_http11()
    {
        var error = new HttpRequestException(HttpRequestError.HttpProtocolError, "bad status line");

        Assert.Equal("http://chat:8080/healthz/internal-key does not answer HTTP/1.1.", (await CheckAsync(Chat, error)).Description);
    }

    /// <summary>Checks <paramref name="upstream"/> where every request fails with <paramref name="error"/>, or only HTTP/2 ones.</summary>
    private static async Task<HealthCheckResult> CheckAsync(Upstream upstream, HttpRequestException error, bool http11Answers = false)
    {
        var check = new UpstreamHealthCheck(new Clients(error, http11Answers), upstream);
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration(upstream.Name, check, HealthStatus.Unhealthy, tags: null) };
        return await check.CheckHealthAsync(context);
    }

    private sealed class Clients(HttpRequestException error, bool http11Answers) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new Server(error, http11Answers));
    }

    private sealed class Server(HttpRequestException error, bool http11Answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            http11Answers && request.Version == HttpVersion.Version11
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound))
                : Task.FromException<HttpResponseMessage>(error);
    }
}
