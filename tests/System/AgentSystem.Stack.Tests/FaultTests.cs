using System.Diagnostics;
using System.Text.Json;
using AgentSystem.SystemTests;

namespace AgentSystem.StackTests;

/// <summary>
/// Faults in the composed system, judged through the gateway: a worker container killed while it runs a job, and the
/// Redis container restarted with jobs running and queued. Nothing is lost (every job succeeds with its result) and
/// each job counts once. Each test leaves the system whole for the next.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class FaultTests(Stack stack, ITestOutputHelper output)
{
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Healthy = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_worker_killed_mid_job_loses_nothing_and_the_job_runs_again_elsewhere()
    {
        await stack.WaitHealthyAsync(Healthy);
        // One job only, so the worker with a job in flight is the one running it: first wait until no worker runs
        // another test's job (one still in flight made this kill the wrong worker once). A sleep long enough that
        // finding the holder (a docker exec per worker) and killing it lands mid-job, not after the result is written.
        await WaitUntilAsync("every worker idle", TimeSpan.FromSeconds(60), () => Task.FromResult(!stack.Containers("worker")
            .Where(w => w.RunState == "running").Any(w => InFlight(w) > 0)));
        var submitted = await TaskApi.SubmitAsync(stack.Api, new { jobs = new[] { new { type = "sleep", input = "10000" } } });
        var id = submitted.GetProperty("id").GetString()!;

        var holder = await WaitForHolderAsync(TimeSpan.FromSeconds(30));
        stack.Docker("kill", holder.Id);
        output.WriteLine($"killed {holder.Name} while it ran the sleep job");
        try
        {
            var after = await TaskApi.SubmitAsync(stack.Api, new { jobs = new[] { new { type = "echo", input = "after the kill" } } });
            var task = await TaskApi.WaitFinalAsync(stack.Api, id, Finish, () => stack.RecentLogs("worker"));
            Assert.Equal("succeeded", task.GetProperty("status").GetString());
            var sleep = TaskApi.Job(task, 0);
            Assert.Equal("10000", sleep.GetProperty("result").GetString());
            Assert.True(sleep.GetProperty("attempts").GetInt32() >= 2, $"the killed worker's job should have been delivered again: {sleep}");
            var echo = await TaskApi.WaitFinalAsync(stack.Api, after.GetProperty("id").GetString()!, Finish, () => stack.RecentLogs("worker"));
            Assert.Equal("after the kill", TaskApi.Job(echo, 0).GetProperty("result").GetString());
        }
        finally
        {
            stack.Docker("start", holder.Id);
            await stack.WaitHealthyAsync(Healthy);
        }
    }

    [Fact]
    public async Task Redis_restarted_with_jobs_running_and_queued_loses_none()
    {
        await stack.WaitHealthyAsync(Healthy);
        // Sleeps that span the restart: their leases, acks and results go through Redis's reconnect (the workers have
        // 1024 slots each, so all of them run; none waits in the queue).
        var jobs = Enumerable.Repeat(("sleep", "2500"), 12).Concat([("echo", "through a restart"), ("wordcount", "one two three"), ("hash", "abc")]).ToList();
        var submitted = await TaskApi.SubmitAsync(stack.Api, new { jobs = jobs.Select(j => new { type = j.Item1, input = j.Item2 }).ToArray() });
        var id = submitted.GetProperty("id").GetString()!;
        await WaitUntilAsync("a job running", TimeSpan.FromSeconds(30),
            async () => (await TaskApi.GetAsync(stack.Api, id)).GetProperty("jobs").EnumerateArray().Any(j => j.GetProperty("status").GetString() == "running"));

        var redis = Assert.Single(stack.Containers("redis"));
        var restart = Stopwatch.StartNew();
        stack.Docker("restart", redis.Id);
        output.WriteLine($"restarted {redis.Name} in {restart.Elapsed.TotalSeconds:0.0} s");
        await stack.WaitHealthyAsync(Healthy);

        var task = await TaskApi.WaitFinalAsync(stack.Api, id, Finish, () => stack.RecentLogs("worker") + stack.RecentLogs("orchestrator"));
        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        var results = task.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(jobs.Count, results.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            Assert.Equal("succeeded", results[i].GetProperty("status").GetString());
            Assert.Equal(ApiTests.Expected(jobs[i].Item1, jobs[i].Item2), results[i].GetProperty("result").GetString());
        }
        output.WriteLine("attempts: " + string.Join(", ", results.Select(r => r.GetProperty("attempts").GetInt32())));
    }

    /// <summary>The worker container running a job.</summary>
    private async Task<StackContainer> WaitForHolderAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            foreach (var worker in stack.Containers("worker").Where(w => w.RunState == "running"))
            {
                if (InFlight(worker) > 0)
                {
                    return worker;
                }
            }
            await Task.Delay(100);
        }
        Assert.Fail($"no worker reported a job in flight within {timeout.TotalSeconds} s{Environment.NewLine}{stack.RecentLogs("worker")}");
        return null!;
    }

    /// <summary>Jobs a worker container has claimed and not acknowledged, from its /metrics (not published; read inside with the image's wget).</summary>
    private long InFlight(StackContainer worker)
    {
        var metrics = JsonDocument.Parse(stack.Docker("exec", worker.Id, "/usr/local/bin/wget", "-q", "-O", "-", "http://127.0.0.1:8081/metrics")).RootElement;
        return metrics.TryGetProperty("inFlight", out var inFlight) ? inFlight.GetInt64() : 0;
    }

    private static async Task WaitUntilAsync(string what, TimeSpan timeout, Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"not {what} within {timeout.TotalSeconds} s");
            }

            await Task.Delay(100);
        }
    }
}
