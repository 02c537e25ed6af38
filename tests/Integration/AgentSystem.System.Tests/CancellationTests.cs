using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentSystem.SystemTests;

/// <summary>DELETE reaches a running job: its worker stops it, it ends cancelled at once, and it is never run again.</summary>
[Collection(SystemCollection.Name)]
public sealed class CancellationTests(SystemFixture system, ITestOutputHelper output)
{
    [Fact]
    public async Task A_running_sixty_second_sleep_cancelled_is_stopped_before_it_ends_and_never_retried()
    {
        await system.RecoverAsync();
        var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new[] { new { type = "sleep", input = "60000" } } });
        var id = submitted.GetProperty("id").GetString()!;
        var jobId = TaskApi.Job(submitted, 0).GetProperty("id").GetString()!;
        await WaitUntilAsync(async () => TaskApi.Job(await TaskApi.GetAsync(system.Api, id), 0).GetProperty("status").GetString() == "running", "the job to run");
        var marks = system.Workers.Select(w => w.OutputMark).ToList();

        var clock = Stopwatch.StartNew();
        using var response = await system.Api.DeleteAsync(new Uri($"/api/tasks/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answered = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", answered.GetProperty("status").GetString());

        // The worker stops the sleep and acknowledges the delivery: Redis forgets the job.
        await WaitUntilAsync(async () => await system.RedisAsync("SISMEMBER", SystemFixture.QueuePrefix + "known", jobId) == "0", "the job to leave Redis");
        var stopped = clock.Elapsed;
        Assert.Contains(system.Workers.Select((w, i) => w.OutputSince(marks[i])), log => log.Contains(jobId, StringComparison.Ordinal) && log.Contains("its task was cancelled", StringComparison.Ordinal));
        // Within WaitUntilAsync's 30 s, so before the 60 s sleep could have ended by itself; the figure is printed, not asserted.
        output.WriteLine($"DELETE to the worker's acknowledgement: {stopped.TotalMilliseconds:0} ms");

        // Longer than a lease (4 s here): had it been nacked or left to expire it would be back by now.
        await Task.Delay(SystemFixture.VisibilityTimeout * 2);
        var task = await TaskApi.GetAsync(system.Api, id);
        Assert.Equal("cancelled", task.GetProperty("status").GetString());
        Assert.Equal(1, TaskApi.Job(task, 0).GetProperty("attempts").GetInt32());
        Assert.Equal("0", await system.RedisAsync("SISMEMBER", SystemFixture.QueuePrefix + "known", jobId));
        Assert.DoesNotContain(jobId, await system.RedisAsync("LRANGE", SystemFixture.QueuePrefix + "dead", "0", "-1"), StringComparison.Ordinal);

        using var again = await system.Api.DeleteAsync(new Uri($"/api/tasks/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}{Environment.NewLine}{system.Diagnostics()}");
            await Task.Delay(50);
        }
    }
}
