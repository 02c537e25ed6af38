using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Tests;

public sealed class QueryTaskTests
{
    [Fact]
    public async Task Get_returns_the_task_with_each_jobs_status_and_result()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "hello"), ("wordcount", "a b c"));
        var jobIds = created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        app.Repository.SetJob(jobIds[0], JobState.Running);
        app.Repository.SetJob(jobIds[0], JobState.Succeeded, result: "hello");
        using var client = app.CreateClient();

        var task = await client.GetFromJsonAsync<JsonElement>(OrchestratorApp.TaskUri(created.GetProperty("id").GetGuid()));

        Assert.Equal("running", task.GetProperty("status").GetString());
        var jobs = task.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["succeeded", "queued"], jobs.Select(j => j.GetProperty("status").GetString()));
        Assert.Equal("hello", jobs[0].GetProperty("result").GetString());
        Assert.Equal(1, jobs[0].GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, jobs[1].GetProperty("result").ValueKind);
    }

    [Fact]
    public async Task Get_unknown_task_is_404_problem()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(OrchestratorApp.TaskUri(Guid.NewGuid()));

        var problem = await Problems.ReadAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("Task not found", problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("GET", "/tasks/not-an-id")]
    [InlineData("GET", "/tasks/not-an-id/events")]
    [InlineData("DELETE", "/tasks/not-an-id")]
    public async Task An_id_that_is_no_guid_is_a_404_that_says_so(string method, string path)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await client.SendAsync(request);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.NotFound);
        Assert.StartsWith("'not-an-id' is no task id: a task's id is a GUID", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/nothing/here")]
    [InlineData("/tasks/00000000-0000-0000-0000-000000000000/nope")]
    public async Task Unknown_route_is_404_problem(string path)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        await Problems.ReadAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_pages_newest_first_with_counts()
    {
        await using var app = new OrchestratorApp();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await app.CreateAsync(("echo", $"{i}"), ("hash", $"{i}"))).GetProperty("id").GetGuid());
        }

        using var client = app.CreateClient();

        var page = await client.GetFromJsonAsync<JsonElement>(new Uri("/tasks?page=2&pageSize=2", UriKind.Relative));

        Assert.Equal(["items", "page", "pageSize", "total", "totalExact"], page.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, page.GetProperty("page").GetInt32());
        Assert.Equal(2, page.GetProperty("pageSize").GetInt32());
        Assert.Equal(5, page.GetProperty("total").GetInt64());
        Assert.True(page.GetProperty("totalExact").GetBoolean());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([ids[2], ids[1]], items.Select(t => t.GetProperty("id").GetGuid()));
        Assert.Equal(
            ["id", "status", "goal", "createdAt", "updatedAt", "jobCount", "completedJobs"],
            items[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, items[0].GetProperty("jobCount").GetInt32());
        Assert.Equal(0, items[0].GetProperty("completedJobs").GetInt32());
    }

    [Fact]
    public async Task List_defaults_to_page_1_of_20()
    {
        await using var app = new OrchestratorApp();
        await app.CreateAsync(("echo", "x"));
        using var client = app.CreateClient();

        var page = await client.GetFromJsonAsync<JsonElement>(OrchestratorApp.Tasks);

        Assert.Equal(1, page.GetProperty("page").GetInt32());
        Assert.Equal(20, page.GetProperty("pageSize").GetInt32());
        Assert.Single(page.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task List_filters_by_status()
    {
        await using var app = new OrchestratorApp();
        var done = await app.CreateAsync(("echo", "done"));
        await app.CreateAsync(("echo", "waiting"));
        app.Repository.SetJob(done.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Succeeded, result: "done");
        using var client = app.CreateClient();

        var succeeded = await client.GetFromJsonAsync<JsonElement>(new Uri("/tasks?status=succeeded", UriKind.Relative));
        var queued = await client.GetFromJsonAsync<JsonElement>(new Uri("/tasks?status=queued", UriKind.Relative));

        var item = Assert.Single(succeeded.GetProperty("items").EnumerateArray());
        Assert.Equal(done.GetProperty("id").GetGuid(), item.GetProperty("id").GetGuid());
        Assert.Equal("succeeded", item.GetProperty("status").GetString());
        Assert.Equal(1, item.GetProperty("completedJobs").GetInt32());
        Assert.Equal(1, succeeded.GetProperty("total").GetInt64());
        Assert.Equal(1, queued.GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("page=-1", "page")]
    [InlineData("page=abc", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=101", "pageSize")]
    [InlineData("pageSize=ten", "pageSize")]
    [InlineData("page=501", "page")]
    [InlineData("page=101&pageSize=100", "page")]
    [InlineData("page=335&pageSize=30", "page")]
    [InlineData("status=done", "status")]
    [InlineData("status=dead", "status")]
    [InlineData("status=done&page=0&pageSize=500", "page,pageSize,status")]
    public async Task List_with_bad_paging_or_status_is_422_naming_it(string query, string fields)
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri($"/tasks?{query}", UriKind.Relative));

        Assert.Equal(fields.Split(','), await Problems.ReadErrorKeysAsync(response));
    }

    [Fact]
    public async Task List_accepts_the_edges_of_the_ranges()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/tasks?page=1&pageSize=100&status=Cancelled", UriKind.Relative));
        using var lastPage = await client.GetAsync(new Uri("/tasks?page=100&pageSize=100", UriKind.Relative));
        // Its first task, the 9,991st newest, is within the limit; page 335 would start past it.
        using var lastPartPage = await client.GetAsync(new Uri("/tasks?page=334&pageSize=30", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, lastPage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, lastPartPage.StatusCode);
    }

    [Fact]
    public async Task PostgreSQL_down_is_503_problem()
    {
        await using var app = new OrchestratorApp();
        app.Repository.FailWith = new TimeoutException("fake");
        using var client = app.CreateClient();

        using var response = await client.GetAsync(OrchestratorApp.Tasks);

        await Problems.ReadAsync(response, HttpStatusCode.ServiceUnavailable);
    }
}
