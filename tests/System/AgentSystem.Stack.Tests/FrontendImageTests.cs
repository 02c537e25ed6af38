using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AgentSystem.StackTests;

/// <summary>
/// The frontend's image on its own, beside the running system: what its nginx answers when the gateway cannot be
/// reached, and ALLOWED_HOSTS with a list of its own and without one (the composed system's is localhost and 127.0.0.1,
/// which the other frontend tests reach it by). The node server that Dev runs answers
/// the same (services/frontend/server/apiProxy.mjs and its tests).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class FrontendImageTests(Stack stack) : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly HttpClient _withoutList = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<string> _containers = [];

    public async Task InitializeAsync()
    {
        await StartAsync(_client, "-e", "ALLOWED_HOSTS=localhost, 127.0.0.1");
        await StartAsync(_withoutList);
    }

    /// <summary>The image with an unreachable gateway and <paramref name="environment"/>, <paramref name="client"/> pointed at it once healthy.</summary>
    private async Task StartAsync(HttpClient client, params string[] environment)
    {
        var image = stack.Containers("frontend")[0].ImageReference;
        // Port 9 on the container's own loopback: nothing listens there, so every forward fails to connect.
        string[] run = ["run", "-d", "--rm", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "-p", "127.0.0.1::3000", "-e", "GATEWAY_URL=http://127.0.0.1:9"];
        var container = stack.Docker([.. run, .. environment, image]).Trim();
        _containers.Add(container);
        var published = stack.Docker("port", container, "3000/tcp").Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
        client.BaseAddress = new Uri($"http://{published}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"The frontend image did not answer /healthz within 30 s: {stack.Docker("logs", container)}");
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _withoutList.Dispose();
    }

    public Task DisposeAsync()
    {
        foreach (var container in _containers)
        {
            stack.Docker("rm", "-f", container);
        }

        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("/api/tasks")]
    [InlineData("/api/report.json")]   // forwarded too, not looked up as one of the page's files
    public async Task An_unreachable_gateway_is_a_502_problem(string path)
    {
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("The gateway is unreachable", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_body_goes_on_to_the_gateway_as_it_comes_not_kept_until_it_is_whole()
    {
        // helper-130: nginx kept each body (up to 16 MiB) in /tmp until the last byte came, before it called the gateway,
        // so slow uploads filled /tmp. Streamed, the call is made at once: this one meets the unreachable gateway while
        // nearly all of its body is still to come.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_client.BaseAddress!.Host, _client.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /api/tasks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"goal\":"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var answer = new byte[64];
        var read = await stream.ReadAsync(answer, timeout.Token);

        Assert.StartsWith("HTTP/1.1 502", Encoding.ASCII.GetString(answer, 0, read), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_ALLOWED_HOSTS_does_not_list_may_not_use_the_api()
    {
        using var response = await GetTasksAs("rebound.example");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("is not localhost, an IP address or a name in ALLOWED_HOSTS", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("192.168.49.2:3000")]
    [InlineData("[::1]")]
    public async Task An_IP_address_ALLOWED_HOSTS_does_not_list_is_forwarded_as_the_gateway_serves_it(string host)
    {
        // helper-129: a list replaced localhost and IP addresses, where the gateway's adds to them.
        using var response = await GetTasksAs(host);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Fact]
    public async Task A_host_ALLOWED_HOSTS_lists_is_forwarded_whatever_its_case_and_port()
    {
        using var response = await GetTasksAs("LocalHost:3000");

        // Forwarded, so it meets the unreachable gateway.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Theory]
    [InlineData("localhost:3000")]
    [InlineData("192.168.49.2")]
    [InlineData("[::1]:3000")]
    public async Task Without_ALLOWED_HOSTS_localhost_and_an_IP_address_are_forwarded(string host)
    {
        using var response = await GetTasksAs(host, _withoutList);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Fact]
    public async Task Without_ALLOWED_HOSTS_any_other_name_is_refused()
    {
        using var response = await GetTasksAs("rebound.example", _withoutList);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("is not localhost, an IP address or a name in ALLOWED_HOSTS", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>GET /api/tasks as a page served under <paramref name="host"/> would send it.</summary>
    private async Task<HttpResponseMessage> GetTasksAs(string host, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tasks");
        request.Headers.Host = host;
        return await (client ?? _client).SendAsync(request);
    }
}
