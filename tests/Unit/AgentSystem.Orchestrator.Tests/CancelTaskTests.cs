using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Queue;

namespace AgentSystem.Orchestrator.Tests;

public sealed class CancelTaskTests
{
    [Fact]
    public async Task Delete_cancels_queued_and_running_jobs_tells_the_workers_and_answers_202_with_the_final_task()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("sleep", "1000"), ("echo", "later"), ("hash", "later"));
        var id = created.GetProperty("id").GetGuid();
        var running = created.GetProperty("jobs")[0].GetProperty("id").GetGuid();
        app.Repository.SetJob(running, JobState.Running);
        app.Signals.Published.Clear();
        using var client = app.CreateClient();

        using var response = await client.DeleteAsync(OrchestratorApp.TaskUri(id));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/tasks/{id}", response.Headers.Location?.ToString());
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, task.GetProperty("id").GetGuid());
        Assert.Equal(["cancelled", "cancelled", "cancelled"], task.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("status").GetString()));
        Assert.Equal("cancelled", task.GetProperty("status").GetString());
        Assert.Equal([(TaskSignal.Cancelled, id), (TaskSignal.Changed, id)], app.Signals.Published);

        // The worker's late result changes nothing: the job is final.
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

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", task.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(JobState.Succeeded, "succeeded")]
    [InlineData(JobState.Failed, "failed")]
    public async Task Delete_of_a_final_task_is_409_and_changes_nothing(JobState outcome, string status)
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "x"));
        var id = created.GetProperty("id").GetGuid();
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), outcome, result: "x", error: "e");
        using var client = app.CreateClient();
        var before = await client.GetStringAsync(OrchestratorApp.TaskUri(id));
        app.Signals.Published.Clear();

        using var response = await client.DeleteAsync(OrchestratorApp.TaskUri(id));

        var problem = await Problems.ReadAsync(response, HttpStatusCode.Conflict);
        Assert.Equal(status, problem.GetProperty("taskStatus").GetString());
        Assert.Contains("nothing was cancelled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await client.GetStringAsync(OrchestratorApp.TaskUri(id)));   // updatedAt included
        Assert.Empty(app.Signals.Published);
    }

    [Fact]
    public async Task Delete_twice_cancels_once_and_then_says_it_is_already_final()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "x"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();

        using var first = await client.DeleteAsync(OrchestratorApp.TaskUri(id));
        using var second = await client.DeleteAsync(OrchestratorApp.TaskUri(id));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var problem = await Problems.ReadAsync(second, HttpStatusCode.Conflict);
        Assert.Equal("cancelled", problem.GetProperty("taskStatus").GetString());
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
