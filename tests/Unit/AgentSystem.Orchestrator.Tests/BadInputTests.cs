using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.ServiceDefaults;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>
/// Every kind of bad input the task API can be sent, straight to the service: each is a 4xx ProblemDetails whose text
/// names the problem (and the field, where there is one), nothing is stored, and nothing is a 5xx.
/// </summary>
public sealed class BadInputTests
{
    private static readonly byte[] InvalidUtf8 = [.. "{ \"goal\": \"caf"u8, 0xC3, 0x28, .. "\" }"u8];

    public static TheoryData<string, string, HttpStatusCode, string, string?> Bodies => new()
    {
        // name, body, status, text the detail holds, field in errors
        { "invalid UTF-8", Encoding.Latin1.GetString(InvalidUtf8), HttpStatusCode.BadRequest, "not valid UTF-8 (byte 15)", null },
        { "a lone surrogate escape", """{ "jobs": [ { "type": "echo", "input": "x\ud800y" } ] }""", HttpStatusCode.BadRequest, "not valid Unicode", "jobs[0].input" },
        { "a property twice", """{ "goal": "a", "goal": "b" }""", HttpStatusCode.BadRequest, "'goal' is given twice", "goal" },
        { "a property twice in another case", """{ "jobs": [ { "type": "echo", "Type": "hash", "input": "x" } ] }""", HttpStatusCode.BadRequest, "given twice at 'jobs[0].Type'", "jobs[0].Type" },
        { "nesting deeper than 64", $$"""{ "goal": "x", "extra": {{new string('[', 70)}}{{new string(']', 70)}} }""", HttpStatusCode.BadRequest, "maximum configured depth of 64", null },
        { "text after the JSON", """{ "goal": "x" } trailing""", HttpStatusCode.BadRequest, "line 1, byte 17", null },
        { "a NUL in an input", """{ "jobs": [ { "type": "echo", "input": "a\u0000b" } ] }""", HttpStatusCode.UnprocessableEntity, "NUL character (U+0000)", "jobs[0].input" },
        { "a NUL in a goal", """{ "goal": "count\u0000 this" }""", HttpStatusCode.UnprocessableEntity, "NUL character (U+0000)", "goal" },
        { "a NUL in a type", """{ "jobs": [ { "type": "echo\u0000", "input": "x" } ] }""", HttpStatusCode.UnprocessableEntity, "Unknown job type", "jobs[0].type" },
        { "a huge sleep", """{ "jobs": [ { "type": "sleep", "input": "99999999999999999999999" } ] }""", HttpStatusCode.UnprocessableEntity, "from 0 to 60000", "jobs[0].input" },
        { "a negative sleep", """{ "jobs": [ { "type": "sleep", "input": "-1" } ] }""", HttpStatusCode.UnprocessableEntity, "from 0 to 60000", "jobs[0].input" },
        { "a number too large for JSON", """{ "jobs": [ { "type": "sleep", "input": 1e999 } ] }""", HttpStatusCode.BadRequest, "expected a string", "jobs[0].input" },
        { "an llm input over chat's limit", $$"""{ "jobs": [ { "type": "llm", "input": "{{new string('w', 32 * 1024 + 1)}}" } ] }""", HttpStatusCode.UnprocessableEntity, "32,769 bytes of UTF-8; at most 32,768 bytes (32 KiB)", "jobs[0].input" },
        { "an empty llm prompt", """{ "jobs": [ { "type": "llm", "input": "  " } ] }""", HttpStatusCode.UnprocessableEntity, "needs a prompt", "jobs[0].input" },
        { "a boolean for the jobs", """{ "jobs": true }""", HttpStatusCode.BadRequest, "expected an array", "jobs" },
        { "a string for the body", "\"hello\"", HttpStatusCode.BadRequest, "The request body has the wrong JSON type: expected an object", null },
        { "whitespace only", "  \n ", HttpStatusCode.BadRequest, "not valid JSON", null },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task A_bad_body_is_a_4xx_naming_the_problem(string name, string body, HttpStatusCode status, string detail, string? field)
    {
        await using var app = new OrchestratorApp();
        var bytes = name == "invalid UTF-8" ? InvalidUtf8 : Encoding.UTF8.GetBytes(body);

        using var response = await SendAsync(app, HttpMethod.Post, "/tasks", bytes);

        var problem = await Problems.ReadAsync(response, status);
        var text = problem.GetProperty("detail").GetString() + " " + problem.GetRawText();
        Assert.Contains(detail, text, StringComparison.Ordinal);
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{name}: errors should name {field}: {problem}");
        }

        Assert.Empty(app.Repository.CreateRequests);
    }

    [Fact]
    public async Task A_byte_order_mark_is_ignored()
    {
        await using var app = new OrchestratorApp();

        using var response = await SendAsync(app, HttpMethod.Post, "/tasks", [0xEF, 0xBB, 0xBF, .. """{ "goal": "count these words" }"""u8]);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16", "UTF-8")]
    [InlineData("text/plain", "application/json")]
    [InlineData("application/xml", "application/json")]
    [InlineData("not a media type", "application/json")]
    public async Task A_body_that_is_not_utf8_json_is_415(string contentType, string detail)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        using var content = new ByteArrayContent("""{ "goal": "x" }"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync(OrchestratorApp.Tasks, content);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Repository.CreateRequests);
    }

    [Theory]
    [InlineData(new[] { "key-1", "key-2" }, "given 2 times")]
    [InlineData(new[] { "key-1, key-2" }, "holds a comma")]
    [InlineData(new[] { "key\u0001" }, "printable ASCII only; character 4 is U+0001")]
    [InlineData(new[] { "key\0" }, "U+0000")]
    [InlineData(new[] { "clé" }, "U+00E9")]
    public async Task A_bad_idempotency_key_is_400_naming_the_header(string[] values, string detail)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks) { Content = new StringContent("""{ "goal": "x" }""", Encoding.UTF8, "application/json") };
        foreach (var value in values)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", value);
        }

        using var response = await client.SendAsync(request);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(detail, problem.GetProperty("errors").GetProperty("Idempotency-Key")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Repository.CreateRequests);
    }

    [Theory]
    [InlineData("0123456789ABCDEF")]
    [InlineData("0123456789abcde")]
    [InlineData("key-0 203.0.113.7")]
    public async Task A_malformed_client_id_is_400_naming_the_header(string value)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks) { Content = new StringContent("""{ "goal": "x" }""", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(ClientId.HeaderName, value);

        using var response = await client.SendAsync(request);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("16 lower-case hex digits", problem.GetProperty("errors").GetProperty(ClientId.HeaderName)[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Repository.CreateRequests);
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("page=-1", "page")]
    [InlineData("page=99999999999999", "page")]
    [InlineData("page=1&page=2", "page")]
    [InlineData("page=%00", "page")]
    [InlineData("pageSize=-5", "pageSize")]
    [InlineData("pageSize=1e2", "pageSize")]
    [InlineData("status=%00", "status")]
    [InlineData("status=queued%00", "status")]
    [InlineData("status=%FF%FE", "status")]
    public async Task A_bad_query_is_422_naming_the_parameter(string query, string field)
    {
        await using var app = new OrchestratorApp();

        using var response = await SendAsync(app, HttpMethod.Get, $"/tasks?{query}");

        Assert.Equal([field], await Problems.ReadErrorKeysAsync(response));
    }

    [Fact]
    public async Task An_unknown_status_is_named_with_the_closest_known_one()
    {
        await using var app = new OrchestratorApp();

        using var response = await SendAsync(app, HttpMethod.Get, "/tasks?status=runing");

        var problem = await Problems.ReadAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.StartsWith("Unknown status 'runing'. Did you mean 'running'? Known: ", problem.GetProperty("errors").GetProperty("status")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_largest_page_number_is_422_saying_how_far_pages_reach()
    {
        await using var app = new OrchestratorApp();

        using var response = await SendAsync(app, HttpMethod.Get, $"/tasks?page={int.MaxValue}&pageSize=100");

        var problem = await Problems.ReadAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Pages reach the newest 10,000 tasks: with pageSize 100, up to page 100.", problem.GetProperty("errors").GetProperty("page")[0].GetString());
    }

    [Theory]
    [InlineData("GET", "/tasks/not-a-guid/more", HttpStatusCode.NotFound, "Nothing is at GET /tasks/not-a-guid/more.")]
    [InlineData("GET", "/tasks/..%2F..%2Fhealthz", HttpStatusCode.NotFound, "'..%2F..%2Fhealthz' is no task id")]
    [InlineData("DELETE", "/tasks/12345", HttpStatusCode.NotFound, "'12345' is no task id")]
    [InlineData("PUT", "/tasks", HttpStatusCode.MethodNotAllowed, "/tasks does not take PUT; it takes GET, POST.")]
    [InlineData("PATCH", "/tasks/00000000-0000-0000-0000-000000000001", HttpStatusCode.MethodNotAllowed, "does not take PATCH; it takes DELETE, GET.")]
    [InlineData("PUT", "/tasks/not-a-guid", HttpStatusCode.MethodNotAllowed, "does not take PUT; it takes DELETE, GET.")]
    [InlineData("POST", "/tasks/00000000-0000-0000-0000-000000000001/events", HttpStatusCode.MethodNotAllowed, "does not take POST; it takes GET.")]
    public async Task A_bad_route_or_method_is_a_4xx_naming_it(string method, string path, HttpStatusCode status, string detail)
    {
        await using var app = new OrchestratorApp();

        using var response = await SendAsync(app, new HttpMethod(method), path);

        var problem = await Problems.ReadAsync(response, status);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api", "Nothing is at GET /api/tasks/not-a-guid/more.")]
    [InlineData("/api/../x", "Nothing is at GET /tasks/not-a-guid/more.")]
    [InlineData("https://elsewhere", "Nothing is at GET /tasks/not-a-guid/more.")]
    public async Task Behind_the_gateway_a_404_names_the_public_path(string prefix, string detail)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/tasks/not-a-guid/more", UriKind.Relative));
        request.Headers.Add(StatusProblems.PrefixHeader, prefix);

        using var response = await client.SendAsync(request);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_very_long_id_is_404()
    {
        await using var app = new OrchestratorApp();

        using var response = await SendAsync(app, HttpMethod.Get, "/tasks/" + new string('7', 4000));

        await Problems.ReadAsync(response, HttpStatusCode.NotFound);
    }

    private static async Task<HttpResponseMessage> SendAsync(OrchestratorApp app, HttpMethod method, string path, byte[]? json = null)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public void Probe_bodies_are_what_they_say()
    {
        // The invalid UTF-8 probe really is invalid, and the surrogate probe is well-formed JSON.
        Assert.False(System.Text.Unicode.Utf8.IsValid(InvalidUtf8));
        var reader = new Utf8JsonReader("""{ "input": "x\ud800y" }"""u8);
        while (reader.Read())
        {
        }
    }
}
