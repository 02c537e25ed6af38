using System.Net;
using System.Text;
using System.Text.Json;

namespace AgentSystem.SystemTests;

/// <summary>
/// Bad input through the gateway to the real services on PostgreSQL: a 4xx naming the field, never the store's 503
/// (PostgreSQL refuses a NUL in text), nothing stored; and wrong API keys throttled per client address.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputTests(SystemFixture system)
{
    private static readonly Uri Tasks = new("/api/tasks", UriKind.Relative);
    private static readonly Uri Chat = new("/api/chat", UriKind.Relative);

    [Theory]
    [InlineData("""{ "jobs": [ { "type": "echo", "input": "a\u0000b" } ] }""", "jobs[0].input")]
    [InlineData("""{ "goal": "count\u0000 these words" }""", "goal")]
    [InlineData("""{ "jobs": [ { "type": "llm", "input": "a prompt" }, { "type": "hash", "input": "\u0000" } ] }""", "jobs[1].input")]
    public async Task A_nul_in_a_task_is_a_422_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var before = await CountTasksAsync();

        using var response = await PostAsync(Tasks, body);

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, field, "NUL character (U+0000)");
        Assert.Equal(before, await CountTasksAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_nul_in_a_chat_message_is_a_422_naming_the_field_with_or_without_a_stream(bool stream)
    {
        var before = await CountConversationsAsync();
        var body = $$"""{ "messages": [ { "role": "user", "content": "hello\u0000there" } ], "stream": {{(stream ? "true" : "false")}} }""";

        using var response = await PostAsync(Chat, body);

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "messages[0].content", "NUL character (U+0000)");
        Assert.Equal(before, await CountConversationsAsync());
    }

    [Fact]
    public async Task An_llm_input_over_chats_message_limit_is_refused_at_submit()
    {
        var body = JsonSerializer.Serialize(new { jobs = new[] { new { type = "llm", input = new string('w', 32 * 1024 + 1) } } });

        using var response = await PostAsync(Tasks, body);

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "jobs[0].input", "at most 32,768 bytes");
    }

    [Fact]
    public async Task Two_idempotency_keys_are_a_400_not_one_joined_key()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Tasks) { Content = Json("""{ "jobs": [ { "type": "echo", "input": "once" } ] }""") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", ["first", "second"]);

        using var response = await system.Api.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "Idempotency-Key", "Idempotency-Key");
    }

    // method, path, body (raw bytes as Latin-1, so invalid UTF-8 can be written), content type.
    public static TheoryData<string, string, string?, string?> Probes => new()
    {
        { "POST", "/api/tasks", "{ \"goal\": \"caf\u00c3\u0028\" }", "application/json" },
        { "POST", "/api/tasks", """{ "jobs": [ { "type": "echo", "input": "x\ud800" } ] }""", "application/json" },
        { "POST", "/api/tasks", """{ "goal": "a", "GOAL": "b" }""", "application/json" },
        { "POST", "/api/tasks", "{ \"goal\": " + new string('[', 100) + new string(']', 100) + " }", "application/json" },
        { "POST", "/api/tasks", """{ "jobs": [ { "type": "sleep", "input": 1e999 } ] }""", "application/json" },
        { "POST", "/api/tasks", """{ "jobs": [ { "type": "sleep", "input": "99999999999999999999999999" } ] }""", "application/json" },
        { "POST", "/api/tasks", """{ "jobs": 5, "goal": [] }""", "application/json" },
        { "POST", "/api/tasks", "null", "application/json" },
        { "POST", "/api/tasks", "", "application/json" },
        { "POST", "/api/tasks", """{ "goal": "x" }""", "application/json; charset=utf-16" },
        { "POST", "/api/tasks", """{ "goal": "x" }""", "text/plain" },
        { "POST", "/api/chat", "{ \"messages\": [ { \"role\": \"user\", \"content\": \"\u00ff\u00fe\" } ] }", "application/json" },
        { "POST", "/api/chat", """{ "conversationId": 7, "messages": [ { "role": "user", "content": "hi" } ] }""", "application/json" },
        { "POST", "/api/chat", """{ "messages": [ { "role": "user\u0000", "content": "hi" } ], "stream": true }""", "application/json" },
        { "POST", "/api/chat", """{ "messages": [ { "role": "user", "content": "hi" } ], "stream": "yes" }""", "application/json" },
        { "GET", "/api/tasks?page=99999999999999999999", null, null },
        { "GET", "/api/tasks?pageSize=-1&page=1&page=2", null, null },
        { "GET", "/api/tasks?status=%00", null, null },
        { "GET", "/api/tasks/" + new string('7', 4000), null, null },
        { "DELETE", "/api/tasks/not-a-uuid", null, null },
        { "GET", "/api/chat/conversations/%FF%FE", null, null },
        { "GET", "/api/chat/conversations?page=0&pageSize=1e9", null, null },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public async Task Every_bad_request_through_the_gateway_is_a_4xx_problem(string method, string path, string? body, string? contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await system.Api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_nul_in_the_path_is_refused_by_the_server_before_any_service_sees_it()
    {
        // Kestrel refuses the request target itself (a bare 400, no body): nothing of the application runs.
        using var response = await system.Api.GetAsync(new Uri("/api/tasks/%00", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Repeated_wrong_keys_from_one_client_are_throttled_with_429_and_others_are_not()
    {
        // The gateway trusts 127.0.0.1 as a proxy (SystemFixture), so each forwarded address is a client of its own.
        const string attacker = "203.0.113.77";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
        {
            statuses.Add(await StatusAsync("wrong-key-" + i, attacker));
        }

        using var refused = await SendAsync(SystemFixture.ApiKey, attacker);
        var bystander = await StatusAsync(SystemFixture.ApiKey, "203.0.113.78");

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 10), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, bystander);
    }

    private async Task<HttpStatusCode> StatusAsync(string key, string forwardedFor)
    {
        using var response = await SendAsync(key, forwardedFor);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> SendAsync(string key, string forwardedFor)
    {
        using var anonymous = new HttpClient { BaseAddress = system.Gateway.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, Tasks);
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await anonymous.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostAsync(Uri path, string body) => await system.Api.PostAsync(path, Json(body));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field, string detail)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"errors should name {field}: {text}");
        Assert.Contains(detail, messages[0].GetString(), StringComparison.Ordinal);
    }

    private async Task<long> CountTasksAsync() => await TotalAsync("/api/tasks?page=1&pageSize=1");

    private async Task<long> CountConversationsAsync() => await TotalAsync("/api/chat/conversations?page=1&pageSize=1");

    private async Task<long> TotalAsync(string path)
    {
        using var response = await system.Api.GetAsync(new Uri(path, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("total").GetInt64();
    }
}
