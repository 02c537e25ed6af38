using System.Net;
using System.Net.Http.Json;
using System.Text;
using AgentSystem.Gateway.Tests.Fakes;

namespace AgentSystem.Gateway.Tests;

/// <summary>Header values beyond ASCII: forwarded as the UTF-8 they came in, or refused with 400; never a 5xx.</summary>
public sealed class HeaderEncodingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task A_utf8_request_header_reaches_the_upstream_unchanged()
    {
        // What curl sends from a UTF-8 terminal: -H 'X-Note: café'.
        using var client = Client(Encoding.UTF8);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/tasks", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Note", "café ☕");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("café ☕", (await response.Content.ReadFromJsonAsync<Echo>())!.Header("X-Note"));
    }

    [Fact]
    public async Task A_request_header_that_is_not_utf8_is_400()
    {
        // Latin-1 'é' is the byte 0xE9, which is no UTF-8: Kestrel refuses the request before the gateway sees it.
        using var client = Client(Encoding.Latin1);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/tasks", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Note", "café");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_utf8_response_header_reaches_the_client_unchanged()
    {
        using var client = Client(Encoding.UTF8);

        using var response = await client.GetAsync(new Uri($"/api/tasks/note?note={Uri.EscapeDataString("déjà vu")}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["déjà vu"], response.Headers.GetValues("X-Note"));
    }

    /// <summary>A client that writes and reads header values in <paramref name="encoding"/> (HttpClient's own default is ASCII only).</summary>
    private HttpClient Client(Encoding encoding)
    {
        var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => encoding, ResponseHeaderEncodingSelector = (_, _) => encoding };
        var client = new HttpClient(handler) { BaseAddress = fixture.Gateway.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", GatewayFactory.Key);
        return client;
    }
}
