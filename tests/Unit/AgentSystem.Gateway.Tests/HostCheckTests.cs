using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Gateway.Security;
using AgentSystem.Gateway.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentSystem.Gateway.Tests;

/// <summary>helper-125: a DNS-rebinding page (its name re-pointed at 127.0.0.1) used the gateway with the published development key.</summary>
public sealed class HostCheckTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData("rebind.attacker.example:8080")]
    [InlineData("localhost.attacker.example")]
    [InlineData("127.0.0.1.attacker.example")]
    [InlineData("gateway:8080")]
    [InlineData("api.agentsystem.localhost")]   // a name under .localhost goes to the system's resolver outside browsers
    public async Task A_name_not_listed_is_refused_with_a_problem_whatever_the_key(string host)
    {
        using var response = await SendAsync(fixture.Gateway, host, "/api/tasks/echo");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Host not served", problem.GetProperty("title").GetString());
        Assert.Contains($"\"{host.Split(':')[0]}\"", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>helper-128: the once-a-minute line was never written (its first comparison overflowed).</summary>
    [Fact]
    public async Task A_refusal_is_logged_once_a_minute_at_most_with_its_host()
    {
        var logs = new FakeLogCollector();
        await using var gateway = fixture.NewGateway(new Dictionary<string, string?>(),
            services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));

        using var first = await SendAsync(gateway, "rebind.attacker.example", "/api/tasks/echo");
        using var second = await SendAsync(gateway, "other.attacker.example", "/api/tasks/echo");

        var refusals = logs.GetSnapshot().Where(entry => entry.Category == typeof(HostCheck).FullName).ToList();
        var refusal = Assert.Single(refusals);
        Assert.Equal(LogLevel.Warning, refusal.Level);
        Assert.Contains("Refused a request for host rebind.attacker.example", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:8080")]
    [InlineData("LOCALHOST.")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("10.244.1.7:8080")]
    [InlineData("[::1]:8080")]
    public async Task Localhost_and_addresses_are_served(string host)
    {
        using var response = await SendAsync(fixture.Gateway, host, "/api/tasks/echo");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Listed_names_are_served_and_a_star_serves_any()
    {
        await using var listed = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:AllowedHosts:0"] = "gateway", ["Gateway:AllowedHosts:1"] = " api.example.com, agents.example.org" });
        await using var any = fixture.NewGateway(new Dictionary<string, string?> { ["Gateway:AllowedHosts:0"] = "*" });

        using var service = await SendAsync(listed, "gateway:8080", "/api/tasks/echo");
        using var second = await SendAsync(listed, "Agents.Example.Org", "/api/tasks/echo");
        using var other = await SendAsync(listed, "rebind.attacker.example", "/api/tasks/echo");
        using var anyHost = await SendAsync(any, "rebind.attacker.example", "/api/tasks/echo");

        Assert.Equal(HttpStatusCode.OK, service.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, anyHost.StatusCode);
    }

    [Fact]
    public async Task The_probes_answer_an_address()
    {
        using var response = await SendAsync(fixture.Gateway, "10.244.1.7:8080", "/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("http://api.example.com")]
    [InlineData("api.example.com:443")]
    [InlineData("*.example.com")]
    [InlineData(".")]
    [InlineData("a..b")]
    public void An_entry_that_is_no_host_name_is_refused(string entry)
    {
        Assert.False(AllowedHostNames.TryParse(["gateway", entry], out _));
        Assert.True(AllowedHostNames.TryParse(["gateway, my_service ,10.0.0.1,[fd00::1], gateway."], out _));
    }

    /// <summary>Addresses as a browser sends them; other spellings of one are names (helper-127).</summary>
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("[::ffff:127.0.0.1]", true)]
    [InlineData("1.2.3", false)]
    [InlineData("0x7f.1", false)]
    [InlineData("2130706433", false)]
    [InlineData("127.000.0.1", false)]
    [InlineData("[127.0.0.1]", false)]
    public void Only_addresses_in_their_usual_form_are_served_unlisted(string host, bool served)
    {
        Assert.True(AllowedHostNames.TryParse([], out var allowed));

        Assert.Equal(served, allowed.Serves(host));
    }

    private static async Task<HttpResponseMessage> SendAsync(GatewayFactory gateway, string host, string path)
    {
        using var client = gateway.CreateClient(GatewayFactory.Key);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Host = host;
        return await client.SendAsync(request);
    }
}
