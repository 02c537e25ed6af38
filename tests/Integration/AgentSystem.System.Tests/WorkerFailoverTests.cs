using System.Text.Json;
using Npgsql;

namespace AgentSystem.SystemTests;

[Collection(SystemCollection.Name)]
public sealed class WorkerFailoverTests(SystemFixture system)
{
    [Fact]
    public async Task A_worker_killed_mid_job_leaves_the_job_to_another_and_it_counts_once()
    {
        await system.RecoverAsync();
        try
        {
            await KillHolderAndCheckAsync();
        }
        finally
        {
            // The killed worker is started again, so the tests after this one find the whole system.
            await system.RecoverAsync();
        }
    }

    [Fact]
    public async Task A_worker_killed_mid_job_with_its_lease_lost_in_redis_too_leaves_the_job_to_the_dispatcher()
    {
        // The worker dies, and Redis loses the lease with it (a crash inside its one-second AOF window; here a flush):
        // no reclaimer can see the job, and its row says running. The dispatcher sends it again once it has run longer
        // than Dispatcher:StaleAfter (10 s here) with its task unchanged.
        await system.RecoverAsync();
        try
        {
            await WaitUntilIdleAsync(TimeSpan.FromSeconds(30));
            var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new[] { new { type = "sleep", input = "3000" } } });
            var id = Guid.Parse(submitted.GetProperty("id").GetString()!);
            await FaultProbe.WaitUntilAsync(system, "the job marked running", TimeSpan.FromSeconds(20),
                async () => (await FaultProbe.JobsAsync(system, [id])).Single().Status == "running");
            var holder = await WaitForHolderAsync(TimeSpan.FromSeconds(20));
            var mark = system.Orchestrator.OutputMark;
            holder.Kill();
            Assert.Equal("OK", await system.RedisAsync("FLUSHALL"));

            var task = await TaskApi.WaitFinalAsync(system.Api, id.ToString(), TimeSpan.FromSeconds(60), system.Diagnostics);

            Assert.Equal("succeeded", task.GetProperty("status").GetString());
            var job = Assert.Single(await FaultProbe.JobsAsync(system, [id]));
            Assert.Equal(("succeeded", "3000"), (job.Status, job.Result));
            Assert.True(job.Attempts >= 2, $"the job should have been delivered again: {job}");
            await FaultProbe.WaitUntilAsync(system, "the dispatcher's warning", TimeSpan.FromSeconds(10),
                () => Task.FromResult(system.Orchestrator.OutputSince(mark).Contains("held neither queued nor leased", StringComparison.Ordinal)),
                () => Task.FromResult(system.Orchestrator.OutputSince(mark)));
        }
        finally
        {
            await system.RecoverAsync();
        }
    }

    private async Task KillHolderAndCheckAsync()
    {
        // One job only, so the worker with a job in flight is the one running it: first until no worker runs an earlier
        // test's job (the stack's copy of this test once killed the wrong worker so).
        await WaitUntilIdleAsync(TimeSpan.FromSeconds(30));
        var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new[] { new { type = "sleep", input = "3000" } } });
        var id = submitted.GetProperty("id").GetString()!;

        // Find the worker running it: its /metrics reports one job in flight.
        var holder = await WaitForHolderAsync(TimeSpan.FromSeconds(20));
        holder.Kill();

        var task = await TaskApi.WaitFinalAsync(system.Api, id, TimeSpan.FromSeconds(60), system.Diagnostics);
        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        var job = TaskApi.Job(task, 0);
        Assert.True(job.GetProperty("attempts").GetInt32() >= 2, $"the job should have been delivered again: {job}");

        await using var connection = new NpgsqlConnection(system.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE task_id = @id AND status = 'succeeded'", connection);
        command.Parameters.AddWithValue("id", Guid.Parse(id));
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    private async Task WaitUntilIdleAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var busy = false;
            foreach (var worker in system.Workers.Where(w => !w.HasExited))
            {
                busy |= await InFlightAsync(http, worker) > 0;
            }

            if (!busy)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"a worker still ran a job after {timeout.TotalSeconds} s{Environment.NewLine}{system.Diagnostics()}");
    }

    private async Task<ServiceProcess> WaitForHolderAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var worker in system.Workers.Where(w => !w.HasExited))
            {
                if (await InFlightAsync(http, worker) > 0)
                {
                    return worker;
                }
            }
            await Task.Delay(50);
        }
        Assert.Fail($"no worker reported the job in flight within {timeout.TotalSeconds} s{Environment.NewLine}{system.Diagnostics()}");
        return null!;
    }

    private static async Task<long> InFlightAsync(HttpClient http, ServiceProcess worker)
    {
        var metrics = JsonDocument.Parse(await http.GetStringAsync(new Uri(worker.BaseAddress, "/metrics"))).RootElement;
        return metrics.TryGetProperty("inFlight", out var inFlight) ? inFlight.GetInt64() : 0;
    }
}
