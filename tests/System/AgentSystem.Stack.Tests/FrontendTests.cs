using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentSystem.StackTests;

/// <summary>
/// The frontend's image (nginx) as the browser meets it: the page calls same-origin /api/*, the server adds the API key
/// itself (never the browser's, never handed to the page), streams unbuffered, and refuses other origins.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class FrontendTests(Stack stack) : IDisposable
{
    private readonly HttpClient _page = new() { BaseAddress = stack.Frontend, Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose() => _page.Dispose();

    [Fact]
    public async Task The_page_carries_no_key_and_there_is_no_configuration_script()
    {
        var html = await _page.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("<div id=\"root\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain(stack.ApiKey, html, StringComparison.Ordinal);
        // The app calls its own origin; the key lives only in this server's configuration.
        using var config = await _page.GetAsync(new Uri("/config.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, config.StatusCode);
    }

    [Fact]
    public async Task Api_calls_through_the_frontend_get_the_key_added_by_its_server()
    {
        using var response = await _page.GetAsync(new Uri("/api/tasks?page=1&pageSize=1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_key_the_browser_sends_is_replaced_not_passed_on()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tasks?page=1&pageSize=1");
        request.Headers.Add("X-Api-Key", "a-key-the-gateway-refuses");
        using var response = await _page.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:1")]
    public async Task A_request_from_another_origin_is_refused(string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tasks")
        {
            Content = JsonContent.Create(new { jobs = new[] { new { type = "echo", input = "from another site" } } }),
        };
        request.Headers.Add("Origin", origin);
        using var response = await _page.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("cross-site")]
    [InlineData("same-site")]
    public async Task A_request_the_browser_marks_as_from_another_site_is_refused_with_a_problem(string site)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tasks?page=1&pageSize=1");
        request.Headers.Add("Sec-Fetch-Site", site);
        using var response = await _page.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Contains($"marked the request {site} (Sec-Fetch-Site)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_answers_may_not_be_embedded_by_another_site()
    {
        using var response = await _page.GetAsync(new Uri("/api/tasks?page=1&pageSize=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["same-origin"], response.Headers.GetValues("Cross-Origin-Resource-Policy"));
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
    }

    [Fact]
    public async Task A_request_from_the_frontends_own_origin_is_served()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tasks")
        {
            Content = JsonContent.Create(new { jobs = new[] { new { type = "echo", input = "same origin" } } }),
        };
        request.Headers.Add("Origin", stack.Frontend.GetLeftPart(UriPartial.Authority));
        using var response = await _page.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Server_sent_events_pass_through_unbuffered()
    {
        using var submit = await _page.PostAsJsonAsync(new Uri("/api/tasks", UriKind.Relative), new { jobs = new[] { new { type = "sleep", input = "5000" } } });
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        var id = JsonDocument.Parse(await submit.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await _page.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        // The first event arrives while the job still sleeps: nothing held it back until the stream ended.
        using var early = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var first = await reader.ReadLineAsync(early.Token);
        Assert.StartsWith("event: task", first, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"succeeded\"", await reader.ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task The_frontend_answers_its_probes(string path)
    {
        using var response = await _page.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_deep_link_gets_the_page_and_a_missing_asset_a_404()
    {
        Assert.Contains("<div id=\"root\">", await _page.GetStringAsync(new Uri("/tasks/42", UriKind.Relative)), StringComparison.Ordinal);
        using var missing = await _page.GetAsync(new Uri("/assets/gone-123.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/tasks/42")]
    [InlineData("/index.html")]
    public async Task No_other_site_may_frame_the_page(string path)
    {
        // Clickjacking: inside a frame the page's own fetches are same-origin, so only the browser can refuse the frame.
        using var page = await _page.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(["DENY"], page.Headers.GetValues("X-Frame-Options"));
        Assert.Equal(["frame-ancestors 'none'"], page.Headers.GetValues("Content-Security-Policy"));
    }
}
