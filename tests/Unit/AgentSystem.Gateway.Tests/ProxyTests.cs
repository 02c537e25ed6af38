using System.Net;
using System.Net.Http.Json;
using System.Text;
using AgentSystem.Contracts;
using AgentSystem.Gateway.Tests.Fakes;

namespace AgentSystem.Gateway.Tests;

public sealed class ProxyTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData("/api/tasks", "orchestrator", "HTTP/2", "/tasks")]
    [InlineData("/api/tasks/3f0c/events", "orchestrator", "HTTP/2", "/tasks/3f0c/events")]
    [InlineData("/api/chat", "chat", "HTTP/1.1", "/chat")]
    [InlineData("/api/chat/conversations/c9", "chat", "HTTP/1.1", "/chat/conversations/c9")]
    public async Task Each_prefix_goes_to_its_upstream_in_its_protocol_with_method_query_and_body(string path, string upstream, string protocol, string upstreamPath)
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var content = new StringContent("""{"hello":"world"}""", Encoding.UTF8, "application/json");

        using var response = await client.PutAsync(new Uri($"{path}?status=running&page=2", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();
        Assert.NotNull(echo);
        Assert.Equal((upstream, protocol, "PUT", upstreamPath, "?status=running&page=2", """{"hello":"world"}"""), (echo.Upstream, echo.Protocol, echo.Method, echo.Path, echo.Query, echo.Body));
        Assert.Equal("application/json; charset=utf-8", echo.Header("Content-Type"));
    }

    [Theory]
    [InlineData("/api/tasks/echo", true)]
    [InlineData("/api/chat/echo", false)]
    public async Task A_large_body_reaches_the_upstream_byte_for_byte_announced_or_chunked(string path, bool announced)
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        // Past the forwarder's 64 KiB copy buffer and the pipe's segments, in a pattern a lost or repeated slice breaks.
        var text = string.Concat(Enumerable.Range(0, 40_000).Select(i => (i % 9_973).ToString("D5", System.Globalization.CultureInfo.InvariantCulture)));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new StringContent(text) };
        request.Headers.TransferEncodingChunked = !announced;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();
        Assert.Equal(text, echo!.Body);
    }

    [Theory]
    // Echo paths are as PathString writes them: escaped, %2F kept apart from '/'.
    [InlineData("/api/tasks/a%20b", "/tasks/a%20b")]
    [InlineData("/api/tasks/a%2Fb", "/tasks/a%2Fb")]
    public async Task The_path_reaches_the_upstream_as_it_was_sent(string path, string upstreamPath)
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);

        var echo = await client.GetFromJsonAsync<Echo>(new Uri(path, UriKind.Relative));

        Assert.Equal(upstreamPath, echo!.Path);
    }

    [Fact]
    public async Task An_upstream_url_with_a_path_keeps_it()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>(), orchestrator: new Uri(fixture.Orchestrator.BaseUrl, "/svc/"));
        using var client = gateway.CreateClient(GatewayFactory.Key);

        var echo = await client.GetFromJsonAsync<Echo>(new Uri("/api/tasks/1?x=y", UriKind.Relative));

        Assert.Equal(("/svc/tasks/1", "?x=y"), (echo!.Path, echo.Query));
    }

    [Theory]
    [InlineData("POST", "/api/tasks", HttpStatusCode.Accepted, "/api/tasks/42")]
    [InlineData("GET", "/api/tasks/absolute-location", HttpStatusCode.Created, "/api/tasks/7?view=full")]
    [InlineData("GET", "/api/tasks/foreign-location", HttpStatusCode.Created, "https://example.com/tasks/7")]
    public async Task Location_is_rewritten_to_the_public_path(string method, string path, HttpStatusCode status, string location)
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = new StringContent("{}") };

        using var response = await client.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(location, response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Event_streams_pass_through_unbuffered()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var gate = Guid.NewGuid().ToString("N");

        using var response = await client.GetAsync(new Uri($"/api/chat/events?gate={gate}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        // The upstream writes the second event only when the gate opens, which is after the first one arrived here:
        // a gateway buffering the response would hang this read until the timeout.
        Assert.Equal("data: first", await events.ReadLineAsync(timeout.Token));
        fixture.Chat.Open(gate);
        Assert.Equal("", await events.ReadLineAsync(timeout.Token));
        Assert.Equal("data: second", await events.ReadLineAsync(timeout.Token));
    }

    /// <summary>
    /// Kestrel lets one HTTP/2 connection carry 100 streams at once: event streams past that go on another connection
    /// (YARP's client may open more) rather than waiting for one of the first hundred to end.
    /// </summary>
    [Fact]
    public async Task More_open_event_streams_than_one_http2_connection_carries_all_flow()
    {
        const int Streams = 130;
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>
        {
            ["Gateway:RateLimit:MaxRequestsInFlight"] = "1000",
            ["Gateway:RateLimit:Burst"] = "1000",
        });
        using var client = gateway.CreateClient(GatewayFactory.Key);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var gate = Guid.NewGuid().ToString("N");

        var streams = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async _ =>
        {
            var response = await client.GetAsync(new Uri($"/api/tasks/events?gate={gate}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var events = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
            return (Response: response, Events: events, First: await events.ReadLineAsync(timeout.Token));
        }));
        fixture.Orchestrator.Open(gate);
        var rest = await Task.WhenAll(streams.Select(s => s.Events.ReadToEndAsync(timeout.Token)));

        Assert.All(streams, s => Assert.Equal("data: first", s.First));
        Assert.All(rest, r => Assert.Equal("\ndata: second\n\n", r));
        foreach (var (response, events, _) in streams)
        {
            events.Dispose();
            response.Dispose();
        }
    }

    [Fact]
    public async Task Hop_by_hop_request_headers_stay_at_the_gateway()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/tasks/echo", UriKind.Relative));
        request.Headers.Connection.Add("X-Client-Hop");
        request.Headers.Add("X-Client-Hop", "secret");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("Proxy-Authorization", "Basic Zm9vOmJhcg==");
        request.Headers.TE.ParseAdd("trailers");
        request.Headers.Add("X-Kept", "yes");

        using var response = await client.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();

        Assert.NotNull(echo);
        Assert.Equal("yes", echo.Header("X-Kept"));
        Assert.All(["X-Client-Hop", "Keep-Alive", "Proxy-Authorization", "TE"], name => Assert.Null(echo.Header(name)));
        Assert.DoesNotContain("X-Client-Hop", echo.Header("Connection") ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Headers_the_gateway_sets_reach_the_upstream_even_when_the_caller_names_them_in_connection()
    {
        // helper-59: named there, the gateway's own queue client id was removed after it was set.
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/tasks/echo", UriKind.Relative));
        request.Headers.Connection.Add(ClientId.HeaderName);
        request.Headers.Connection.Add(Owner.HeaderName);
        request.Headers.Connection.Add("X-Request-Id");
        request.Headers.Add("X-Request-Id", "mine.1");

        using var response = await client.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();

        Assert.NotNull(echo);
        Assert.True(ClientId.IsValid(echo.Header(ClientId.HeaderName)), echo.Header(ClientId.HeaderName));
        Assert.Equal("key-0", echo.Header(Owner.HeaderName));
        Assert.Equal("mine.1", echo.Header("X-Request-Id"));
    }

    [Fact]
    public async Task Hop_by_hop_response_headers_stay_at_the_gateway()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri("/api/chat/hop-by-hop", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["yes"], response.Headers.GetValues("X-Kept"));
        Assert.All(["X-Upstream-Hop", "Keep-Alive", "Proxy-Authenticate"], name => Assert.False(response.Headers.Contains(name), name));
        Assert.DoesNotContain("X-Upstream-Hop", response.Headers.Connection);
    }

    [Fact]
    public async Task Forwarded_headers_and_the_client_request_id_reach_the_upstream()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/chat/echo", UriKind.Relative));
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Request-Id", "client-req.42");
        request.Headers.Add("X-Forwarded-Prefix", "/elsewhere");

        using var response = await client.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();

        Assert.NotNull(echo);
        Assert.Equal("203.0.113.7, 127.0.0.1", echo.Header("X-Forwarded-For"));
        Assert.Equal("http", echo.Header("X-Forwarded-Proto"));
        Assert.Equal(client.BaseAddress!.Authority, echo.Header("X-Forwarded-Host"));
        Assert.Equal("/api", echo.Header("X-Forwarded-Prefix"));
        Assert.Equal("client-req.42", echo.Header("X-Request-Id"));
        Assert.Equal(["client-req.42"], response.Headers.GetValues("X-Request-Id"));
    }

    [Fact]
    public async Task The_api_key_ends_at_the_gateway()
    {
        using var client = fixture.Gateway.CreateClient(apiKey: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/tasks/echo", UriKind.Relative));
        request.Headers.Authorization = new("Bearer", GatewayFactory.Key);

        using var response = await client.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(echo!.Header("Authorization"));
        Assert.Null(echo.Header("X-Api-Key"));
    }

    [Fact]
    public async Task The_upstream_learns_which_key_sent_the_request_by_its_name_whatever_the_caller_claims()
    {
        var owners = new List<string?>();
        foreach (var key in new[] { GatewayFactory.Key, GatewayFactory.OtherKey })
        {
            using var client = fixture.Gateway.CreateClient(key);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/tasks/echo", UriKind.Relative));
            request.Headers.Add(Owner.HeaderName, "key-9");
            using var response = await client.SendAsync(request);
            owners.Add((await response.Content.ReadFromJsonAsync<Echo>())!.Header(Owner.HeaderName));
        }

        Assert.Equal(["key-0", "key-1"], owners);
    }

    [Fact]
    public async Task A_key_keeps_its_name_when_one_before_it_is_revoked_by_blanking_it()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:ApiKeys:1"] = "", ["Gateway:ApiKeys:2"] = "third-key-0123456789" });
        using var client = gateway.CreateClient("third-key-0123456789");
        using var revoked = gateway.CreateClient(GatewayFactory.OtherKey);

        using var response = await client.GetAsync(new Uri("/api/tasks/echo", UriKind.Relative));
        using var refused = await revoked.GetAsync(new Uri("/api/tasks/echo", UriKind.Relative));

        Assert.Equal("key-2", (await response.Content.ReadFromJsonAsync<Echo>())!.Header(Owner.HeaderName));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_key_configured_by_name_is_named_so_upstream()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:ApiKeys:Billing-EU"] = "billing-key-0123456789" });
        using var client = gateway.CreateClient("billing-key-0123456789");

        using var response = await client.GetAsync(new Uri("/api/tasks/echo", UriKind.Relative));

        Assert.Equal("billing-eu", (await response.Content.ReadFromJsonAsync<Echo>())!.Header(Owner.HeaderName));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("has spaces")]
    [InlineData("<script>")]
    public async Task A_missing_or_odd_request_id_is_replaced_by_a_generated_one(string? given)
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/chat/echo", UriKind.Relative));
        if (given is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", given);
        }

        using var response = await client.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<Echo>();

        var id = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, echo!.Header("X-Request-Id"));
    }

    [Fact]
    public async Task Trace_context_continues_the_callers_trace()
    {
        const string TraceId = "0af7651916cd43dd8448eb211c80319c";

        var echo = await UntracedCaller.GetEchoAsync(fixture.Gateway.Address, "/api/tasks/echo", new Dictionary<string, string>
        {
            ["X-Api-Key"] = GatewayFactory.Key,
            ["traceparent"] = $"00-{TraceId}-b7ad6b7169203331-01",
            ["tracestate"] = "vendor=value",
        });

        // Same trace, the gateway's own span as the parent.
        var traceparent = echo.Header("traceparent");
        Assert.Matches($"^00-{TraceId}-[0-9a-f]{{16}}-01$", traceparent);
        Assert.DoesNotContain("b7ad6b7169203331", traceparent, StringComparison.Ordinal);
        Assert.Equal("vendor=value", echo.Header("tracestate"));
    }

    [Fact]
    public async Task Trace_context_starts_at_the_gateway_when_the_caller_has_none()
    {
        var echo = await UntracedCaller.GetEchoAsync(fixture.Gateway.Address, "/api/tasks/echo", new Dictionary<string, string> { ["X-Api-Key"] = GatewayFactory.Key });

        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", echo.Header("traceparent"));
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/api/nope")]
    [InlineData("/api/tasksx")]
    public async Task Unknown_routes_are_404_problems(string path)
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
