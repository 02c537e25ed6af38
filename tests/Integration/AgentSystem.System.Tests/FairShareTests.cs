using Npgsql;

namespace AgentSystem.SystemTests;

/// <summary>
/// The queue's fair share (docs/queue.md) through the gateway: a client's task waits for its turn among the clients with
/// jobs waiting, not behind another client's backlog. The workers are paused (SIGSTOP) while both clients submit, so the
/// whole backlog is queued before the other client's task.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class FairShareTests(SystemFixture system, ITestOutputHelper output)
{
    private const int BacklogTasks = 10;
    private const int JobsPerBacklogTask = 100;

    [Fact]
    public async Task Another_clients_task_runs_beside_a_backlog_not_after_it()
    {
        using var other = new HttpClient { BaseAddress = system.Api.BaseAddress, Timeout = system.Api.Timeout };
        other.DefaultRequestHeaders.Add("X-Api-Key", SystemFixture.OtherApiKey);
        var backlogJobs = Enumerable.Range(0, JobsPerBacklogTask).Select(i => new { type = "echo", input = $"backlog {i}" }).ToArray();

        var backlog = new List<Guid>();
        Guid small;
        foreach (var worker in system.Workers)
        {
            worker.Pause();
        }

        try
        {
            for (var i = 0; i < BacklogTasks; i++)
            {
                backlog.Add((await TaskApi.SubmitAsync(system.Api, new { jobs = backlogJobs })).GetProperty("id").GetGuid());
            }

            small = (await TaskApi.SubmitAsync(other, new { jobs = Enumerable.Range(0, 5).Select(i => new { type = "echo", input = $"small {i}" }) }))
                .GetProperty("id").GetGuid();
        }
        finally
        {
            foreach (var worker in system.Workers)
            {
                worker.Resume();
            }
        }

        await TaskApi.WaitFinalAsync(other, small.ToString(), TimeSpan.FromSeconds(60));
        foreach (var id in backlog)
        {
            await TaskApi.WaitFinalAsync(system.Api, id.ToString(), TimeSpan.FromSeconds(60));
        }

        var finished = await FinishedAsync([.. backlog, small]);
        var backlogFinished = finished.Where(job => job.TaskId != small).Select(job => job.At).Order().ToList();
        var smallLast = finished.Where(job => job.TaskId == small).Max(job => job.At);
        var before = backlogFinished.Count(at => at < smallLast);
        output.WriteLine($"the other client's last job finished after {before} of the backlog's {backlogFinished.Count} jobs");
        // First in, first out, it would come after all of them; in turn, with its 5 jobs among the first claims.
        Assert.True(before < backlogFinished.Count / 4, $"{before} of {backlogFinished.Count} backlog jobs finished before the other client's task");
    }

    private async Task<List<(Guid TaskId, DateTime At)>> FinishedAsync(Guid[] taskIds)
    {
        await using var connection = new NpgsqlConnection(system.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT task_id, finished_at FROM jobs WHERE task_id = ANY(@ids) AND status = 'succeeded'", connection);
        command.Parameters.AddWithValue("ids", taskIds);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(Guid, DateTime)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetDateTime(1)));
        }

        Assert.Equal((BacklogTasks * JobsPerBacklogTask) + 5, rows.Count);
        return rows;
    }
}
