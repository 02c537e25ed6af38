using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Gateway.Tests.Fakes;

namespace AgentSystem.Gateway.Tests;

/// <summary>Gateway:RateLimit applies per client address of each API key: its token bucket and its requests in flight.</summary>
public sealed class ClientLimitTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string WarmUpKey = "test-key-warm-up";
    private static readonly Uri Tasks = new("/api/tasks/echo", UriKind.Relative);

    [Fact]
    public async Task The_rate_limit_answers_429_problem_with_retry_after_and_leaves_other_keys_alone()
    {
        var (statuses, limited, retryAfter, mediaType, problem, otherKey) = await WithinOneRefillAsync(burst: 2, [], async gateway =>
        {
            using var client = gateway.CreateClient(GatewayFactory.Key);
            using var other = gateway.CreateClient(GatewayFactory.OtherKey);
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.GetAsync(Tasks);
                statuses.Add(response.StatusCode);
            }

            using var limited = await client.GetAsync(Tasks);
            using var otherKey = await other.GetAsync(Tasks);
            return (statuses, limited.StatusCode, limited.Headers.RetryAfter?.Delta, limited.Content.Headers.ContentType?.MediaType,
                await limited.Content.ReadFromJsonAsync<JsonElement>(), otherKey.StatusCode);
        });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited);
        Assert.Equal("application/problem+json", mediaType);
        Assert.InRange(retryAfter?.TotalSeconds ?? 0, 1, 2);
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, otherKey);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_client_of_one_key_has_its_own_rate_limit()
    {
        // The web UI's case: every browser sends the frontend's key; its server names each in X-Forwarded-For.
        var (first, again, otherBrowser) = await WithinOneRefillAsync(burst: 1, [("Gateway:TrustedProxies:0", "127.0.0.1")], async gateway =>
        {
            using var frontend = gateway.CreateClient(GatewayFactory.Key);
            return (await StatusAsync(frontend, "203.0.113.1"), await StatusAsync(frontend, "203.0.113.1"), await StatusAsync(frontend, "203.0.113.2"));
        });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK), (first, again, otherBrowser));
    }

    [Fact]
    public async Task The_client_is_the_first_address_from_the_end_that_is_not_a_trusted_proxy()
    {
        // Ingress (10.x) -> frontend's server (127.0.0.1) -> gateway. What the client wrote before its own address is not believed.
        var (first, viaOtherIngressPod, spoofing, otherClient) = await WithinOneRefillAsync(
            burst: 1, [("Gateway:TrustedProxies:0", "127.0.0.1"), ("Gateway:TrustedProxies:1", "10.0.0.0/8")], async gateway =>
            {
                using var frontend = gateway.CreateClient(GatewayFactory.Key);
                return (
                    await StatusAsync(frontend, "203.0.113.1, 10.1.2.3"),
                    // As node's server writes a peer on a dual-stack socket.
                    await StatusAsync(frontend, "203.0.113.1, ::ffff:10.9.9.9"),
                    await StatusAsync(frontend, "198.51.100.1, 203.0.113.1, 10.1.2.3"),
                    await StatusAsync(frontend, "203.0.113.2, 10.1.2.3"));
            });

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK),
            (first, viaOtherIngressPod, spoofing, otherClient));
    }

    [Fact]
    public async Task Without_a_trusted_proxy_x_forwarded_for_does_not_give_a_client_a_new_bucket()
    {
        var (first, spoofed) = await WithinOneRefillAsync(burst: 1, [], async gateway =>
        {
            using var client = gateway.CreateClient(GatewayFactory.Key);
            return (await StatusAsync(client, "203.0.113.1"), await StatusAsync(client, "203.0.113.2"));
        });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first, spoofed));
    }

    [Fact]
    public async Task A_peer_outside_the_trusted_networks_is_the_client_whatever_it_forwards()
    {
        // A NodePort that keeps the client's address: the gateway trusts the pod network, and the peer is not in it.
        var (first, spoofed) = await WithinOneRefillAsync(burst: 1, [("Gateway:TrustedProxies:0", "10.0.0.0/8")], async gateway =>
        {
            using var client = gateway.CreateClient(GatewayFactory.Key);
            return (await StatusAsync(client, "203.0.113.1"), await StatusAsync(client, "203.0.113.2, 10.1.2.3"));
        });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first, spoofed));
    }

    [Fact]
    public async Task Each_client_reaches_the_services_under_an_id_of_its_own_and_never_one_it_sent()
    {
        // The queue's fair share (docs/queue.md) counts the clients the limits count.
        await using var gateway = await GatewayAsync(burst: 10, ("Gateway:TrustedProxies:0", "127.0.0.1"));
        using var frontend = gateway.CreateClient(GatewayFactory.Key);

        var first = await ClientIdAsync(frontend, "203.0.113.1", sent: "0123456789abcdef");
        var again = await ClientIdAsync(frontend, "203.0.113.1", sent: null);
        var other = await ClientIdAsync(frontend, "203.0.113.2", sent: first);

        Assert.True(ClientId.IsValid(first), first);
        Assert.NotEqual("0123456789abcdef", first);
        Assert.Equal(first, again);
        Assert.True(ClientId.IsValid(other), other);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task With_an_internal_key_a_clients_id_is_keyed_by_it()
    {
        const string internalKey = "internal-key-for-the-tests";
        await using var gateway = await GatewayAsync(burst: 10, ("Gateway:TrustedProxies:0", "127.0.0.1"), ("Internal:Key", internalKey));
        using var frontend = gateway.CreateClient(GatewayFactory.Key);

        var id = await ClientIdAsync(frontend, "203.0.113.1", sent: null);

        Assert.Equal(ClientId.Of("key-0 203.0.113.1", ClientId.KeyFrom(internalKey)), id);
        Assert.NotEqual(ClientId.Of("key-0 203.0.113.1"), id);
    }

    [Fact]
    public async Task An_open_event_stream_holds_a_place_in_flight_until_it_ends_and_a_refusal_spends_no_token()
    {
        await using var gateway = await GatewayAsync(burst: 2, ("Gateway:RateLimit:MaxRequestsInFlight", "1"));
        using var client = gateway.CreateClient(GatewayFactory.Key);
        using var other = gateway.CreateClient(GatewayFactory.OtherKey);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var gate = Guid.NewGuid().ToString("N");

        using var stream = await client.GetAsync(new Uri($"/api/chat/events?gate={gate}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var refused = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            refused.Add(await client.GetAsync(Tasks, timeout.Token));
        }

        using var otherKey = await other.GetAsync(Tasks, timeout.Token);
        // Not a proxied route: the page's status badge keeps reading the gateway's info meanwhile.
        using var info = await client.GetAsync(new Uri("/api/info", UriKind.Relative), timeout.Token);
        fixture.Chat.Open(gate);
        await stream.Content.ReadAsStringAsync(timeout.Token);
        using var afterwards = await client.GetAsync(Tasks, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.All(refused, response => Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode));
        var problems = new List<JsonElement>();
        foreach (var response in refused)
        {
            problems.Add(await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token));
        }

        // Refused before the bucket is asked: none of them is a rate refusal, though the bucket had one token left.
        Assert.All(problems, problem => Assert.Equal("Too many requests in flight", problem.GetProperty("title").GetString()));
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problems[0].GetProperty("type").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), refused[0].Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        // The stream took one of the two tokens; the three refusals took none.
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        refused.ForEach(response => response.Dispose());
    }

    // Refilled at 1 a second, from a client's first request: nothing comes back within a test's few milliseconds once a
    // request of a key of its own has warmed the gateway up (the first proxied request of a process can take a second).
    private async Task<GatewayFactory> GatewayAsync(int burst, params (string Name, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:2"] = WarmUpKey,
            ["Gateway:RateLimit:PermitsPerSecond"] = "1",
            ["Gateway:RateLimit:Burst"] = burst.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }

        var gateway = fixture.NewGateway(all);
        using var warmUp = gateway.CreateClient(WarmUpKey);
        using var response = await warmUp.GetAsync(Tasks);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return gateway;
    }

    /// <summary>
    /// The requests a test makes to a new gateway (<see cref="GatewayAsync"/>), made again on another while they took a
    /// second or more: a client's bucket refills at 1 a second from its first request, so a refused request may then
    /// rightly have passed, and on a busy machine three requests took that long (OK, OK, OK where OK, 429, OK was due).
    /// </summary>
    private async Task<T> WithinOneRefillAsync<T>(int burst, (string Name, string Value)[] settings, Func<GatewayFactory, Task<T>> requests)
    {
        var took = new List<TimeSpan>();
        while (took.Count < 5)
        {
            await using var gateway = await GatewayAsync(burst, settings);
            var clock = Stopwatch.StartNew();
            var result = await requests(gateway);
            if (clock.Elapsed < TimeSpan.FromSeconds(1))
            {
                return result;
            }

            took.Add(clock.Elapsed);
        }

        Assert.Fail($"the requests took a second or more each time ({string.Join(", ", took.Select(t => $"{t.TotalMilliseconds:0} ms"))}), long enough for a token to come back");
        return default!;
    }

    private static async Task<string?> ClientIdAsync(HttpClient client, string forwardedFor, string? sent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Tasks);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (sent is not null)
        {
            request.Headers.Add(ClientId.HeaderName, sent);
        }

        using var response = await client.SendAsync(request);
        return (await response.Content.ReadFromJsonAsync<Echo>())!.Header(ClientId.HeaderName);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Tasks);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
