using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentSystem.SystemTests;

namespace AgentSystem.StackTests;

/// <summary>The API through the gateway's published port: every service answering here runs trimmed in its image.</summary>
[Collection(StackCollection.Name)]
public sealed class ApiTests(Stack stack)
{
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_task_runs_every_job_with_the_right_results()
    {
        var submitted = await TaskApi.SubmitAsync(stack.Api, new
        {
            jobs = new object[]
            {
                new { type = "echo", input = "hello from the images" },
                new { type = "wordcount", input = "one two three four" },
                new { type = "hash", input = "abc" },
                new { type = "sleep", input = "200" },
            },
        });
        var task = await TaskApi.WaitFinalAsync(stack.Api, submitted.GetProperty("id").GetString()!, Finish, () => stack.RecentLogs("worker"));

        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.Equal("hello from the images", TaskApi.Job(task, 0).GetProperty("result").GetString());
        Assert.Equal("4", TaskApi.Job(task, 1).GetProperty("result").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("abc"u8)), TaskApi.Job(task, 2).GetProperty("result").GetString());
        Assert.Equal("200", TaskApi.Job(task, 3).GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_goal_is_planned_into_jobs_that_complete()
    {
        var submitted = await TaskApi.SubmitAsync(stack.Api, new { goal = "Count the words of this sentence" });
        var task = await TaskApi.WaitFinalAsync(stack.Api, submitted.GetProperty("id").GetString()!, Finish, () => stack.RecentLogs("orchestrator"));
        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.True(task.GetProperty("jobs").GetArrayLength() > 0);
    }

    [Theory]
    [InlineData("{ not json", HttpStatusCode.BadRequest, null)]
    [InlineData("""{ "jobs": [] }""", HttpStatusCode.UnprocessableEntity, "jobs")]
    [InlineData("""{ "jobs": [ { "type": "echo", "input": "a" }, { "type": "teleport", "input": "b" } ] }""", HttpStatusCode.UnprocessableEntity, "jobs[1].type")]
    [InlineData("""{ "jobs": [ { "type": "sleep", "input": "soon" } ] }""", HttpStatusCode.UnprocessableEntity, "jobs[0].input")]
    public async Task A_bad_request_is_a_clear_4xx_and_stores_nothing(string body, HttpStatusCode expected, string? field)
    {
        var before = await CountTasksAsync();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await stack.Api.PostAsync(new Uri("/api/tasks", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.Contains($"\"{field}\"", text, StringComparison.Ordinal);
        }

        Assert.Equal(before, await CountTasksAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Without_the_key_the_gateway_answers_401(string? key)
    {
        using var anonymous = new HttpClient { BaseAddress = stack.Gateway };
        if (key is not null)
        {
            anonymous.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        using var response = await anonymous.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Chat_answers_through_the_gateway()
    {
        using var response = await stack.Api.PostAsJsonAsync(new Uri("/api/chat", UriKind.Relative),
            new { messages = new[] { new { role = "user", content = "Hello from the system test" } } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var reply = JsonDocument.Parse(text).RootElement;
        Assert.Equal("offline", reply.GetProperty("provider").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("message").GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Chat_streams_its_answer_as_server_sent_events()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
        {
            Content = JsonContent.Create(new { messages = new[] { new { role = "user", content = "Stream this, please" } }, stream = true }),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await stack.Api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("data: ", body, StringComparison.Ordinal);
        Assert.Contains("[DONE]", body, StringComparison.Ordinal);
    }

    private async Task<long> CountTasksAsync()
    {
        using var response = await stack.Api.GetAsync(new Uri("/api/tasks?page=1&pageSize=1", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("total").GetInt64();
    }

    internal static string Expected(string type, string input) => type switch
    {
        "sleep" or "echo" => input,
        "hash" => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input))),
        "wordcount" => input.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
