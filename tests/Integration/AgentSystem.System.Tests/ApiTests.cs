using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace AgentSystem.SystemTests;

[Collection(SystemCollection.Name)]
public sealed class ApiTests(SystemFixture system)
{
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_task_submitted_through_the_gateway_runs_every_job()
    {
        var submitted = await TaskApi.SubmitAsync(system.Api, new
        {
            jobs = new object[]
            {
                new { type = "echo", input = "hello" },
                new { type = "wordcount", input = "one two three" },
                new { type = "hash", input = "abc" },
            },
        });
        var id = submitted.GetProperty("id").GetString()!;

        var task = await TaskApi.WaitFinalAsync(system.Api, id, Finish, system.Diagnostics);

        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.Equal("hello", TaskApi.Job(task, 0).GetProperty("result").GetString());
        Assert.Contains("3", TaskApi.Job(task, 1).GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("abc"u8)), TaskApi.Job(task, 2).GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_goal_is_planned_into_jobs_that_complete()
    {
        var submitted = await TaskApi.SubmitAsync(system.Api, new { goal = "Count the words of this sentence" });
        var task = await TaskApi.WaitFinalAsync(system.Api, submitted.GetProperty("id").GetString()!, Finish, system.Diagnostics);
        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.True(task.GetProperty("jobs").GetArrayLength() > 0);
    }

    [Fact]
    public async Task The_same_idempotency_key_gives_the_same_task()
    {
        var key = Guid.NewGuid().ToString();
        string? first = null;
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tasks") { Content = JsonContent.Create(new { jobs = new[] { new { type = "echo", input = "once" } } }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await system.Api.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
            first ??= id;
            Assert.Equal(first, id);
        }
    }

    [Theory]
    [InlineData("{ not json", HttpStatusCode.BadRequest, null)]
    [InlineData("""{ "jobs": [] }""", HttpStatusCode.UnprocessableEntity, "jobs")]
    [InlineData("""{ "jobs": [ { "type": "echo", "input": "a" }, { "type": "teleport", "input": "b" } ] }""", HttpStatusCode.UnprocessableEntity, "jobs[1].type")]
    [InlineData("""{ "jobs": "many" }""", HttpStatusCode.BadRequest, null)]
    public async Task Bad_input_is_a_clear_4xx_and_stores_nothing(string body, HttpStatusCode expected, string? field)
    {
        var before = await CountTasksAsync();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await system.Api.PostAsync(new Uri("/api/tasks", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.Contains($"\"{field}\"", text, StringComparison.Ordinal);
        }

        Assert.Equal(before, await CountTasksAsync());
    }

    [Fact]
    public async Task A_huge_body_is_refused_with_413()
    {
        var input = new string('x', 9 * 1024 * 1024);
        using var response = await system.Api.PostAsJsonAsync(new Uri("/api/tasks", UriKind.Relative), new { jobs = new[] { new { type = "echo", input } } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Without_a_valid_key_the_gateway_answers_401(string? key)
    {
        using var anonymous = new HttpClient { BaseAddress = system.Gateway.BaseAddress };
        if (key is not null)
        {
            anonymous.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        using var response = await anonymous.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        using var response = await system.Api.GetAsync(new Uri("/api/nothing-here", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Chat_answers_through_the_gateway()
    {
        using var response = await system.Api.PostAsJsonAsync(new Uri("/api/chat", UriKind.Relative),
            new { messages = new[] { new { role = "user", content = "Hello there" } } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var reply = JsonDocument.Parse(text).RootElement;
        Assert.Equal("offline", reply.GetProperty("provider").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("message").GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Each_key_sees_only_its_own_tasks_and_idempotency_keys()
    {
        using var other = new HttpClient { BaseAddress = system.Api.BaseAddress, Timeout = system.Api.Timeout };
        other.DefaultRequestHeaders.Add("X-Api-Key", SystemFixture.OtherApiKey);
        var idempotencyKey = "owner-test-" + Guid.NewGuid();
        var mine = await SubmitAsync(system.Api, idempotencyKey);
        var uri = new Uri($"/api/tasks/{mine}", UriKind.Relative);

        using (var read = await other.GetAsync(uri))
        using (var events = await other.GetAsync(new Uri($"/api/tasks/{mine}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        using (var cancel = await other.DeleteAsync(uri))
        {
            Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound], [read.StatusCode, events.StatusCode, cancel.StatusCode]);
        }

        var theirs = await SubmitAsync(other, idempotencyKey);
        Assert.NotEqual(mine, theirs);
        Assert.Contains(theirs, await ListAsync(other));
        Assert.DoesNotContain(mine, await ListAsync(other));
        var task = await TaskApi.WaitFinalAsync(system.Api, mine.ToString(), Finish, system.Diagnostics);
        Assert.Equal("succeeded", task.GetProperty("status").GetString());

        // Each stored under its key's name: key-0 by its place in the list, the other by its configured name.
        await using var database = NpgsqlDataSource.Create(system.PostgresConnectionString);
        await using var owners = database.CreateCommand("SELECT owner FROM tasks WHERE id = ANY($1) ORDER BY id = $2 DESC");
        owners.Parameters.Add(new() { Value = new[] { mine, theirs } });
        owners.Parameters.Add(new() { Value = mine });
        await using var reader = await owners.ExecuteReaderAsync();
        List<string> stored = [];
        while (await reader.ReadAsync())
        {
            stored.Add(reader.GetString(0));
        }

        Assert.Equal(["key-0", "partner"], stored);

        static async Task<Guid> SubmitAsync(HttpClient api, string idempotencyKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/tasks", UriKind.Relative))
            {
                Content = JsonContent.Create(new { jobs = new[] { new { type = "echo", input = "owned" } } }),
            };
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            using var response = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }

        static async Task<List<Guid>> ListAsync(HttpClient api)
        {
            var page = await api.GetFromJsonAsync<JsonElement>(new Uri("/api/tasks?pageSize=100", UriKind.Relative));
            return [.. page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid())];
        }
    }

    [Fact]
    public async Task Each_key_sees_only_its_own_conversations()
    {
        using var other = new HttpClient { BaseAddress = system.Api.BaseAddress, Timeout = system.Api.Timeout };
        other.DefaultRequestHeaders.Add("X-Api-Key", SystemFixture.OtherApiKey);
        using var started = await system.Api.PostAsJsonAsync(new Uri("/api/chat", UriKind.Relative),
            new { messages = new[] { new { role = "user", content = "mine alone" } } });
        started.EnsureSuccessStatusCode();
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
        var uri = new Uri($"/api/chat/conversations/{id}", UriKind.Relative);

        using var read = await other.GetAsync(uri);
        using var continued = await other.PostAsJsonAsync(new Uri("/api/chat", UriKind.Relative),
            new { conversationId = id, messages = new[] { new { role = "user", content = "theirs" } } });
        using var own = await system.Api.GetAsync(uri);

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.OK], [read.StatusCode, continued.StatusCode, own.StatusCode]);
    }

    private async Task<long> CountTasksAsync()
    {
        using var response = await system.Api.GetAsync(new Uri("/api/tasks?page=1&pageSize=1", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("total").GetInt64();
    }
}
