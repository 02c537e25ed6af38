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
