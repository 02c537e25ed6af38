using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Tests;

public sealed class CancelTaskTests
{
    [Fact]
    public async Task Delete_cancels_the_jobs_not_yet_started_and_answers_202_with_the_task()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("sleep", "1000"), ("echo", "later"), ("hash", "later"));
        var id = created.GetProperty("id").GetGuid();
        var running = created.GetProperty("jobs")[0].GetProperty("id").GetGuid();
        app.Repository.SetJob(running, JobState.Running);
        using var client = app.CreateClient();

        using var response = await client.DeleteAsync(OrchestratorApp.TaskUri(id));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, task.GetProperty("id").GetGuid());
        Assert.Equal(["running", "cancelled", "cancelled"], task.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("status").GetString()));
        Assert.Equal("running", task.GetProperty("status").GetString());

        // The running job ends: the task is final.
        app.Repository.SetJob(running, JobState.Succeeded, result: "slept");
        var after = await client.GetFromJsonAsync<JsonElement>(OrchestratorApp.TaskUri(id));
        Assert.Equal("cancelled", after.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Delete_of_a_queued_task_makes_it_cancelled()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "x"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();

        using var response = await client.DeleteAsync(OrchestratorApp.TaskUri(id));

        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", task.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Delete_twice_is_harmless()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "x"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();

        using var first = await client.DeleteAsync(OrchestratorApp.TaskUri(id));
        using var second = await client.DeleteAsync(OrchestratorApp.TaskUri(id));

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal("cancelled", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancelled_jobs_are_not_dispatched()
    {
        await using var app = new OrchestratorApp();
        app.Queue.Down = true;
        var id = (await app.CreateAsync(("echo", "x"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();
        using var response = await client.DeleteAsync(OrchestratorApp.TaskUri(id));
        app.Queue.Down = false;

        var result = await app.Dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, result.Found);
        Assert.Empty(app.Queue.Queued);
    }

    [Fact]
    public async Task Delete_unknown_task_is_404_problem()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.DeleteAsync(OrchestratorApp.TaskUri(Guid.NewGuid()));

        await Problems.ReadAsync(response, HttpStatusCode.NotFound);
    }
}
