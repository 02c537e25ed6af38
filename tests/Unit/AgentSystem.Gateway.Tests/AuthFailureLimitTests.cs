using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Gateway.Security;
using AgentSystem.Gateway.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Gateway.Tests;

/// <summary>Wrong API keys are limited per client address: after Gateway:AuthFailureLimit:Failures of them, 429.</summary>
public sealed class AuthFailureLimitTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly Uri Tasks = new("/api/tasks/echo", UriKind.Relative);

    [Fact]
    public async Task Repeated_wrong_keys_from_one_address_get_429_with_retry_after_even_for_the_right_key()
    {
        await using var gateway = Gateway(failures: 3);
        using var wrong = gateway.CreateClient("wrong-key");
        using var right = gateway.CreateClient(GatewayFactory.Key);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await wrong.GetAsync(Tasks);
            statuses.Add(response.StatusCode);
        }

        using var refused = await right.GetAsync(Tasks);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        // One failure is forgiven every window / failures: 60 s / 3.
        Assert.InRange(refused.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 20);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Too many failed API keys", problem.GetProperty("title").GetString());
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Requests_without_a_key_are_not_counted()
    {
        await using var gateway = Gateway(failures: 1);
        using var anonymous = gateway.CreateClient(apiKey: null);
        using var right = gateway.CreateClient(GatewayFactory.Key);

        for (var i = 0; i < 5; i++)
        {
            using var response = await anonymous.GetAsync(Tasks);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var accepted = await right.GetAsync(Tasks);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_is_limited_on_its_own()
    {
        await using var gateway = Gateway(failures: 1, ("Gateway:TrustedProxies:0", "127.0.0.1"));
        using var client = gateway.CreateClient("wrong-key");

        var first = await StatusAsync(client, forwardedFor: "203.0.113.1");
        var again = await StatusAsync(client, forwardedFor: "203.0.113.1");
        var other = await StatusAsync(client, forwardedFor: "203.0.113.2");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.Unauthorized), (first, again, other));
    }

    [Fact]
    public async Task Without_a_trusted_proxy_x_forwarded_for_is_not_believed()
    {
        await using var gateway = Gateway(failures: 1);
        using var client = gateway.CreateClient("wrong-key");

        var first = await StatusAsync(client, forwardedFor: "203.0.113.1");
        var spoofed = await StatusAsync(client, forwardedFor: "203.0.113.2");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests), (first, spoofed));
    }

    [Fact]
    public void A_failure_is_forgiven_every_window_divided_by_failures()
    {
        var time = new FakeTimeProvider();
        var limiter = Limiter(time, failures: 2, window: TimeSpan.FromMinutes(1));
        var client = IPAddress.Parse("198.51.100.7");

        limiter.Failed(client);
        Assert.Null(limiter.RetryAfter(client));
        limiter.Failed(client);
        Assert.Equal(TimeSpan.FromSeconds(30), limiter.RetryAfter(client));

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(10, Math.Round(limiter.RetryAfter(client)!.Value.TotalSeconds, 6));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(limiter.RetryAfter(client));
        Assert.Null(limiter.RetryAfter(IPAddress.Parse("198.51.100.8")));
    }

    [Theory]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7")]
    [InlineData("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64")]
    public void An_ipv6_client_is_its_64_network(string address, string key) =>
        Assert.Equal(key, ClientAddress.Key(IPAddress.Parse(address)));

    [Fact]
    public void The_addresses_tracked_are_bounded_and_those_forgiven_make_room()
    {
        var time = new FakeTimeProvider();
        var limiter = Limiter(time, failures: 1, window: TimeSpan.FromSeconds(10), maxClients: 2);
        IPAddress[] clients = [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), IPAddress.Parse("192.0.2.3")];

        foreach (var client in clients)
        {
            limiter.Failed(client);
        }

        Assert.Equal(2, limiter.TrackedClients);
        Assert.Null(limiter.RetryAfter(clients[2]));

        time.Advance(TimeSpan.FromSeconds(10));
        limiter.Failed(clients[2]);
        Assert.Equal(1, limiter.TrackedClients);
        Assert.NotNull(limiter.RetryAfter(clients[2]));
    }

    private GatewayFactory Gateway(int failures, params (string Name, string Value)[] settings)
    {
        var all = new Dictionary<string, string?> { ["Gateway:AuthFailureLimit:Failures"] = failures.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }

        return fixture.NewGateway(all);
    }

    private static AuthFailureLimiter Limiter(TimeProvider time, int failures, TimeSpan window, int maxClients = 100) =>
        new(Options.Create(new GatewayOptions { AuthFailureLimit = new() { Failures = failures, Window = window, MaxClients = maxClients } }), time, NullLogger<AuthFailureLimiter>.Instance);

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Tasks);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
