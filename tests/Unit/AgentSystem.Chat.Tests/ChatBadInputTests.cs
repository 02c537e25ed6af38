using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentSystem.Chat.Tests;

/// <summary>
/// Every kind of bad input chat can be sent: each is a 4xx ProblemDetails whose text names the problem (and the field)
/// in the contract's terms, with or without "stream": nothing is stored and nothing is a 5xx.
/// </summary>
public sealed class ChatBadInputTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static readonly Uri Chat = new("/chat", UriKind.Relative);

    public static TheoryData<string, HttpStatusCode, string, string?> Bodies => new()
    {
        // body, status, text the detail holds, field in errors
        { """{ "messages": [ { "role": "user", "content": "a\u0000b" } ] }""", HttpStatusCode.UnprocessableEntity, "NUL character (U+0000) at position 1", "messages[0].content" },
        { """{ "messages": [ { "role": "user", "content": "a\u0000b" } ], "stream": true }""", HttpStatusCode.UnprocessableEntity, "NUL character (U+0000) at position 1", "messages[0].content" },
        { """{ "messages": [ { "role": "user\u0000", "content": "hi" } ] }""", HttpStatusCode.UnprocessableEntity, "The role must be one of", "messages[0].role" },
        { $$"""{ "messages": [ { "role": "user", "content": "{{new string('é', 16 * 1024 + 1)}}" } ] }""", HttpStatusCode.UnprocessableEntity, "32,770 bytes of UTF-8; at most 32,768 bytes (32 KiB)", "messages[0].content" },
        { """{ "messages": [ { "role": "user", "content": "x\udc00" } ] }""", HttpStatusCode.BadRequest, "not valid Unicode", "messages[0].content" },
        { """{ "messages": [ { "role": "user", "content": "hi", "content": "again" } ] }""", HttpStatusCode.BadRequest, "'content' is given twice", "messages[0].content" },
        { """{ "conversationId": "not-a-uuid", "messages": [ { "role": "user", "content": "hi" } ] }""", HttpStatusCode.BadRequest, "'conversationId' has the right JSON type but a form or range it cannot take: expected a UUID string", "conversationId" },
        { """{ "conversationId": 42, "messages": [ { "role": "user", "content": "hi" } ] }""", HttpStatusCode.BadRequest, "'conversationId' has the wrong JSON type: expected a UUID string", "conversationId" },
        { """{ "messages": [ { "role": "user", "content": "hi" } ], "stream": "yes" }""", HttpStatusCode.BadRequest, "expected true or false", "stream" },
        { """{ "messages": { "role": "user" } }""", HttpStatusCode.BadRequest, "expected an array", "messages" },
        { """{ "messages": [ 7 ] }""", HttpStatusCode.BadRequest, "expected an object", "messages[0]" },
        { """{ "messages": [ { "role": "user", "content": 1e999 } ] }""", HttpStatusCode.BadRequest, "expected a string", "messages[0].content" },
        { $$"""{ "messages": {{new string('[', 100)}} }""", HttpStatusCode.BadRequest, "maximum configured depth of 64", null },
        { "", HttpStatusCode.BadRequest, "The request body is empty", null },
        { "null", HttpStatusCode.BadRequest, "The request body is null", null },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task A_bad_body_is_a_4xx_naming_the_problem(string body, HttpStatusCode status, string detail, string? field)
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(Chat, content);

        var problem = await ReadProblemAsync(response, status);
        Assert.Contains(detail, problem.GetRawText().Replace("\\u0027", "'", StringComparison.Ordinal), StringComparison.Ordinal);
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        }
    }

    [Fact]
    public async Task Invalid_utf8_is_said_to_be_invalid_utf8()
    {
        using var client = factory.CreateClient();
        using var content = new ByteArrayContent([.. "{ \"messages\": [ { \"role\": \"user\", \"content\": \"caf"u8, 0xE9, .. "\" } ] }"u8]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync(Chat, content);

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("The request body is not valid UTF-8 (byte 50): send JSON encoded as UTF-8.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task A_body_that_is_not_utf8_json_is_415(string contentType)
    {
        using var client = factory.CreateClient();
        using var content = new ByteArrayContent("""{ "messages": [ { "role": "user", "content": "hi" } ] }"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync(Chat, content);

        await ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("""{ "messages": "hello" }""")]
    [InlineData("""{ "messages": [ """)]
    [InlineData("""{ "conversationId": "x", "messages": [] }""")]
    public async Task No_error_names_a_dotnet_type(string body)
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(Chat, content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("ChatRequest", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Failed to read parameter", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("page=99999999999", "page")]
    [InlineData("page=%00", "page")]
    [InlineData("pageSize=101", "pageSize")]
    [InlineData("pageSize=-1", "pageSize")]
    public async Task A_bad_query_is_422_naming_the_parameter(string query, string field)
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri($"/chat/conversations?{query}", UriKind.Relative));

        var problem = await ReadProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("GET", "/chat/conversations/not-a-guid", HttpStatusCode.NotFound, "Nothing is at GET /chat/conversations/not-a-guid.")]
    [InlineData("GET", "/chat", HttpStatusCode.MethodNotAllowed, "/chat does not take GET; it takes POST.")]
    [InlineData("DELETE", "/chat/conversations", HttpStatusCode.MethodNotAllowed, "does not take DELETE; it takes GET.")]
    public async Task A_bad_route_or_method_is_a_4xx_naming_it(string method, string path, HttpStatusCode status, string detail)
    {
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)));

        var problem = await ReadProblemAsync(response, status);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_beyond_the_end_is_empty_and_one_beyond_what_lists_reach_is_422()
    {
        using var client = factory.CreateClient();

        var page = await client.GetFromJsonAsync<JsonElement>(new Uri("/chat/conversations?page=100&pageSize=100", UriKind.Relative));
        using var response = await client.GetAsync(new Uri($"/chat/conversations?page={int.MaxValue}&pageSize=100", UriKind.Relative));

        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
        var problem = await ReadProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["Pages reach the newest 10,000 conversations: with pageSize 100, up to page 100."],
            problem.GetProperty("errors").GetProperty("page").EnumerateArray().Select(e => e.GetString()));
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonSerializer.Deserialize<JsonElement>(text);
    }
}
