using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TasksApiTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static readonly Uri Tasks = new("/tasks", UriKind.Relative);

    [Fact]
    public async Task Healthz_answers_200()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_without_jobs_is_422_naming_jobs()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Tasks, new { jobs = Array.Empty<object>() });

        var errors = await ReadErrorsAsync(response);
        Assert.Equal(["jobs"], errors.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Post_with_unknown_type_is_422_naming_that_job()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync(Tasks, new
        {
            jobs = new[] { new { type = "echo", input = "hi" }, new { type = "teleport", input = "x" } },
        });

        var errors = await ReadErrorsAsync(response);
        Assert.Equal(["jobs[1].type"], errors.EnumerateObject().Select(p => p.Name));
        Assert.Contains("teleport", errors.GetProperty("jobs[1].type")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_valid_task_is_202_with_location_that_returns_it()
    {
        using var client = factory.CreateClient();

        using var created = await client.PostAsJsonAsync(Tasks, new
        {
            jobs = new[] { new { type = "wordcount", input = "one two three" }, new { type = "hash", input = "abc" } },
        });

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal($"/tasks/{id}", created.Headers.Location?.OriginalString);

        var task = await client.GetFromJsonAsync<JsonElement>(created.Headers.Location);
        Assert.Equal(id, task.GetProperty("id").GetGuid());
        Assert.Equal("Pending", task.GetProperty("status").GetString());
        var jobs = task.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["wordcount", "hash"], jobs.Select(j => j.GetProperty("type").GetString()));
        Assert.Equal("one two three", jobs[0].GetProperty("input").GetString());
        Assert.All(jobs, j => Assert.Equal("Pending", j.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Get_unknown_task_is_404_problem()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri($"/tasks/{Guid.NewGuid()}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    private static async Task<JsonElement> ReadErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(422, problem.GetProperty("status").GetInt32());
        return problem.GetProperty("errors");
    }
}
