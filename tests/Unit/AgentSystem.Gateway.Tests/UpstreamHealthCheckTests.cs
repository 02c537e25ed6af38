using System.Net;
using System.Net.Sockets;
using AgentSystem.Gateway.Proxy;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

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

    /// <summary>helper-92: /readyz takes no key, and each call sent a request to each upstream.</summary>
    [Fact]
    public async Task Callers_within_a_second_share_one_request_to_the_upstream()
    {
        var time = new FakeTimeProvider();
        var server = new Server(null, http11Answers: false);
        var check = new UpstreamHealthCheck(new Clients(server), Chat, time);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => check.CheckHealthAsync(Context(check, Chat))));
        time.Advance(TimeSpan.FromMilliseconds(999));
        await check.CheckHealthAsync(Context(check, Chat));
        Assert.Equal(1, server.Requests);
        Assert.All(results, result => Assert.Equal(HealthStatus.Healthy, result.Status));

        time.Advance(TimeSpan.FromMilliseconds(1));
        await check.CheckHealthAsync(Context(check, Chat));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Callers_while_a_check_is_in_flight_wait_for_it_and_one_giving_up_cancels_nothing()
    {
        var server = new GatedServer();
        var check = new UpstreamHealthCheck(new GatedClients(server), Chat, TimeProvider.System);
        using var givingUp = new CancellationTokenSource();

        var first = check.CheckHealthAsync(Context(check, Chat));
        var leaving = check.CheckHealthAsync(Context(check, Chat), givingUp.Token);
        await givingUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        server.Answer.SetResult();

        Assert.Equal(HealthStatus.Healthy, (await first.WaitAsync(TimeSpan.FromSeconds(30))).Status);
        Assert.Equal(1, server.Requests);
    }

    /// <summary>Checks <paramref name="upstream"/> where every request fails with <paramref name="error"/>, or only HTTP/2 ones.</summary>
    private static async Task<HealthCheckResult> CheckAsync(Upstream upstream, HttpRequestException error, bool http11Answers = false)
    {
        var check = new UpstreamHealthCheck(new Clients(new Server(error, http11Answers)), upstream, TimeProvider.System);
        return await check.CheckHealthAsync(Context(check, upstream));
    }

    private static HealthCheckContext Context(UpstreamHealthCheck check, Upstream upstream) =>
        new() { Registration = new HealthCheckRegistration(upstream.Name, check, HealthStatus.Unhealthy, tags: null) };

    private sealed class Clients(Server server) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(server, disposeHandler: false);
    }

    /// <summary>Fails every request with <paramref name="error"/> (only HTTP/2 ones when HTTP/1.1 answers), or answers 200 without one.</summary>
    private sealed class Server(HttpRequestException? error, bool http11Answers) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return http11Answers && request.Version == HttpVersion.Version11 ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound))
                : error is null ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK))
                : Task.FromException<HttpResponseMessage>(error);
        }
    }

    private sealed class GatedClients(GatedServer server) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(server, disposeHandler: false);
    }

    /// <summary>Answers 200 once <see cref="Answer"/> is set: a check in flight.</summary>
    private sealed class GatedServer : HttpMessageHandler
    {
        private int _requests;

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Requests => Volatile.Read(ref _requests);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            await Answer.Task.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
