using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Gateway.Tests.Fakes;

namespace AgentSystem.Gateway.Tests;

public sealed class AccessTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly Uri Tasks = new("/api/tasks/echo", UriKind.Relative);

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("TEST-KEY-0")]
    public async Task Api_without_a_valid_key_is_401_problem(string? key)
    {
        using var client = fixture.Gateway.CreateClient(key);

        using var response = await client.GetAsync(Tasks);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Unknown_api_routes_need_a_key_too()
    {
        using var client = fixture.Gateway.CreateClient(apiKey: null);

        using var response = await client.GetAsync(new Uri("/api/nope", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Key_is_accepted_as_x_api_key_and_as_bearer_token()
    {
        using var withHeader = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var withBearer = fixture.Gateway.CreateClient(apiKey: null);
        withBearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFactory.OtherKey);

        using var first = await withHeader.GetAsync(Tasks);
        using var second = await withBearer.GetAsync(Tasks);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/api/info")]
    public async Task Probes_and_info_need_no_key(string path)
    {
        using var client = fixture.Gateway.CreateClient(apiKey: null);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Rate_limit_is_per_key_and_answers_429_with_retry_after()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>
        {
            ["Gateway:RateLimit:PermitsPerSecond"] = "1",
            ["Gateway:RateLimit:Burst"] = "2",
        });
        using var client = gateway.CreateClient(GatewayFactory.Key);
        using var other = gateway.CreateClient(GatewayFactory.OtherKey);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 4 && limited is null; i++)
        {
            var response = await client.GetAsync(Tasks);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using (limited)
        {
            Assert.NotNull(limited);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            Assert.InRange(limited.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 2);
        }

        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        using var otherResponse = await other.GetAsync(Tasks);
        Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_limit_is_413_problem(bool withContentLength)
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "1000" });
        using var client = gateway.CreateClient(GatewayFactory.Key);
        var body = new byte[5000];
        using HttpContent content = withContentLength ? new ByteArrayContent(body) : new StreamContent(new MemoryStream(body));
        if (!withContentLength)
        {
            content.Headers.ContentLength = null;
        }

        using var response = await client.PostAsync(Tasks, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_body_under_the_limit_passes()
    {
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "1000" });
        using var client = gateway.CreateClient(GatewayFactory.Key);
        using var content = new StringContent(new string('x', 1000));

        using var response = await client.PostAsync(Tasks, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1000, (await response.Content.ReadFromJsonAsync<Echo>())!.Body.Length);
    }

    [Fact]
    public async Task Cors_preflight_from_the_frontend_is_allowed_without_a_key()
    {
        using var client = fixture.Gateway.CreateClient(apiKey: null);
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri("/api/tasks", UriKind.Relative));
        request.Headers.Add("Origin", "http://localhost:3000");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type,idempotency-key");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["http://localhost:3000"], response.Headers.GetValues("Access-Control-Allow-Origin"));
        var allowed = string.Join(',', response.Headers.GetValues("Access-Control-Allow-Headers"));
        Assert.All(["X-Api-Key", "Content-Type", "Idempotency-Key"], header => Assert.Contains(header, allowed, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Cors_exposes_location_and_request_id_to_allowed_origins_only()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var allowed = new HttpRequestMessage(HttpMethod.Get, Tasks) { Headers = { { "Origin", "http://127.0.0.1:3000" } } };
        using var foreign = new HttpRequestMessage(HttpMethod.Get, Tasks) { Headers = { { "Origin", "http://evil.example" } } };

        using var allowedResponse = await client.SendAsync(allowed);
        using var foreignResponse = await client.SendAsync(foreign);

        Assert.Equal(["http://127.0.0.1:3000"], allowedResponse.Headers.GetValues("Access-Control-Allow-Origin"));
        var exposed = string.Join(',', allowedResponse.Headers.GetValues("Access-Control-Expose-Headers"));
        Assert.Contains("Location", exposed, StringComparison.Ordinal);
        Assert.Contains("X-Request-Id", exposed, StringComparison.Ordinal);
        Assert.False(foreignResponse.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
