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
    public async Task No_origin_is_allowed_cross_origin_calls()
    {
        using var client = fixture.Gateway.CreateClient(GatewayFactory.Key);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, Tasks);
        preflight.Headers.Add("Origin", "http://localhost:3000");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var call = new HttpRequestMessage(HttpMethod.Get, Tasks) { Headers = { { "Origin", "http://localhost:3000" } } };

        using var preflightResponse = await client.SendAsync(preflight);
        using var callResponse = await client.SendAsync(call);

        Assert.False(preflightResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(callResponse.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
