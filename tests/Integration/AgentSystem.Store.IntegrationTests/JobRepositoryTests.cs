using AgentSystem.Contracts;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The worker's writes: guarded (idempotent) updates, and the task's roll-up in the same transaction.</summary>
public sealed class JobRepositoryTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task Start_then_Complete_records_the_result_once_and_a_second_Complete_changes_nothing()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var job = task.Jobs[0].Id;

        Assert.Equal(JobStart.Run, await Jobs.StartAsync(job, 1, CancellationToken.None));
        var running = await Tasks.GetAsync(task.Id, CancellationToken.None);
        Assert.Equal((TaskState.Running, JobState.Running, 1), (running!.Status, running.Jobs[0].Status, running.Jobs[0].Attempts));
        Assert.NotNull(running.Jobs[0].StartedAt);

        Assert.True(await Jobs.CompleteAsync(job, "first result", CancellationToken.None));
        var afterFirst = await Tasks.GetAsync(task.Id, CancellationToken.None);
        Assert.False(await Jobs.CompleteAsync(job, "second result", CancellationToken.None));
        var afterSecond = await Tasks.GetAsync(task.Id, CancellationToken.None);

        Assert.Equal((JobState.Succeeded, "first result"), (afterSecond!.Jobs[0].Status, afterSecond.Jobs[0].Result));
        Assert.NotNull(afterSecond.Jobs[0].FinishedAt);
        Assert.Equal(afterFirst, afterSecond with { Jobs = afterFirst!.Jobs });   // not even updated_at moved
        Assert.Equal(afterFirst.Jobs, afterSecond.Jobs);
        Assert.Equal(TaskState.Running, afterSecond.Status);   // job 1 is still queued

        // A redelivery after success is skipped; a redelivery while running (lost lease) runs again.
        Assert.Equal(JobStart.Skip, await Jobs.StartAsync(job, 2, CancellationToken.None));
        Assert.Equal(JobStart.Run, await Jobs.StartAsync(task.Jobs[1].Id, 1, CancellationToken.None));
        Assert.Equal(JobStart.Run, await Jobs.StartAsync(task.Jobs[1].Id, 2, CancellationToken.None));
        Assert.Equal(2, (await Tasks.GetAsync(task.Id, CancellationToken.None))!.Jobs[1].Attempts);
        Assert.Equal(JobStart.Skip, await Jobs.StartAsync(Guid.NewGuid(), 1, CancellationToken.None));
        Assert.False(await Jobs.CompleteAsync(Guid.NewGuid(), "x", CancellationToken.None));
    }

    [Fact]
    public async Task A_retried_failure_leaves_the_job_queued_and_a_dead_one_fails_the_task()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var (flaky, ok) = (task.Jobs[0].Id, task.Jobs[1].Id);

        await Jobs.StartAsync(flaky, 1, CancellationToken.None);
        Assert.True(await Jobs.RecordFailureAsync(flaky, "timeout", JobState.Queued, CancellationToken.None));
        var retrying = await Tasks.GetAsync(task.Id, CancellationToken.None);
        Assert.Equal((JobState.Queued, 1, "timeout"), (retrying!.Jobs[0].Status, retrying.Jobs[0].Attempts, retrying.Jobs[0].Error));
        Assert.Equal(TaskState.Running, retrying.Status);   // it has run, so it stays running through the retry

        await Jobs.StartAsync(ok, 1, CancellationToken.None);
        await Jobs.CompleteAsync(ok, "fine", CancellationToken.None);
        await Jobs.StartAsync(flaky, 2, CancellationToken.None);
        Assert.True(await Jobs.RecordFailureAsync(flaky, "timeout again", JobState.Dead, CancellationToken.None));
        Assert.False(await Jobs.RecordFailureAsync(flaky, "late", JobState.Dead, CancellationToken.None));
        Assert.False(await Jobs.CompleteAsync(flaky, "too late", CancellationToken.None));

        var final = await Tasks.GetAsync(task.Id, CancellationToken.None);
        Assert.Equal((JobState.Dead, 2, "timeout again", (string?)null), (final!.Jobs[0].Status, final.Jobs[0].Attempts, final.Jobs[0].Error, final.Jobs[0].Result));
        Assert.Equal(TaskState.Failed, final.Status);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Jobs.RecordFailureAsync(ok, "x", JobState.Succeeded, CancellationToken.None));
    }

    [Theory]
    [InlineData(new[] { "ok", "ok", "ok" }, TaskState.Succeeded)]
    [InlineData(new[] { "ok", "dead", "ok" }, TaskState.Failed)]
    [InlineData(new[] { "ok", "failed", "ok" }, TaskState.Failed)]
    [InlineData(new[] { "ok", "cancel", "cancel" }, TaskState.Cancelled)]
    [InlineData(new[] { "dead", "cancel", "cancel" }, TaskState.Failed)]
    public async Task The_task_rolls_up_when_no_job_is_queued_or_running(string[] outcomes, TaskState expected)
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: outcomes.Length), CancellationToken.None)).Task;
        for (var i = 0; i < outcomes.Length; i++)
        {
            var id = task.Jobs[i].Id;
            switch (outcomes[i])
            {
                case "ok":
                    await Jobs.StartAsync(id, 1, CancellationToken.None);
                    await Jobs.CompleteAsync(id, "ok", CancellationToken.None);
                    break;
                case "dead" or "failed":
                    await Jobs.StartAsync(id, 1, CancellationToken.None);
                    await Jobs.RecordFailureAsync(id, "no", outcomes[i] == "dead" ? JobState.Dead : JobState.Failed, CancellationToken.None);
                    break;
                default:
                    break;   // left queued, then cancelled below
            }

            var now = await Tasks.GetAsync(task.Id, CancellationToken.None);
            var open = now!.Jobs.Any(j => !j.Status.IsFinal());
            Assert.True(open ? !now.Status.IsFinal() : now.Status.IsFinal(), $"after job {i}: task {now.Status}");
        }

        if (outcomes.Contains("cancel"))
        {
            await Tasks.CancelAsync(task.Id, CancellationToken.None);
        }

        Assert.Equal(expected, (await Tasks.GetAsync(task.Id, CancellationToken.None))!.Status);
        Assert.Equal(expected.Name(), await ScalarAsync<string>("SELECT status FROM tasks WHERE id = @id", ("id", task.Id)));
    }

    [Fact]
    public async Task Concurrent_completes_of_one_job_from_separate_connections_count_once()
    {
        for (var round = 0; round < 10; round++)
        {
            var task = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
            var job = task.Jobs[0].Id;
            await Jobs.StartAsync(job, 1, CancellationToken.None);

            // Two workers (separate pools, so separate connections) finish the same delivery at once.
            await using var other = NpgsqlDataSource.Create(Database.ConnectionString);
            var otherJobs = new JobRepository(other);
            var results = await Task.WhenAll(
                Task.Run(() => Jobs.CompleteAsync(job, "from A", CancellationToken.None)),
                Task.Run(() => otherJobs.CompleteAsync(job, "from B", CancellationToken.None)));

            Assert.Single(results, r => r);
            var final = await Tasks.GetAsync(task.Id, CancellationToken.None);
            Assert.Equal(TaskState.Succeeded, final!.Status);
            Assert.Equal(results[0] ? "from A" : "from B", final.Jobs[0].Result);
        }
    }

    [Fact]
    public async Task Jobs_of_one_task_finishing_at_the_same_time_still_roll_the_task_up()
    {
        // Without the task lock, each transaction could see the other job still running and leave the task running.
        for (var round = 0; round < 5; round++)
        {
            var task = (await Tasks.CreateAsync(NewTask(jobs: 8), CancellationToken.None)).Task;
            foreach (var job in task.Jobs)
            {
                await Jobs.StartAsync(job.Id, 1, CancellationToken.None);
            }

            var pools = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(Database.ConnectionString)).ToList();
            try
            {
                var results = await Task.WhenAll(task.Jobs.Select((job, i) =>
                    Task.Run(() => new JobRepository(pools[i % pools.Count]).CompleteAsync(job.Id, "ok", CancellationToken.None))));
                Assert.All(results, Assert.True);
            }
            finally
            {
                foreach (var pool in pools)
                {
                    await pool.DisposeAsync();
                }
            }

            Assert.Equal(TaskState.Succeeded, (await Tasks.GetAsync(task.Id, CancellationToken.None))!.Status);
        }
    }

    [Fact]
    public async Task The_cancellation_reader_names_exactly_the_cancelled_jobs()
    {
        var cancelled = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var running = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        await Jobs.StartAsync(cancelled.Jobs[0].Id, 1, CancellationToken.None);
        await Jobs.StartAsync(running.Jobs[0].Id, 1, CancellationToken.None);
        await Tasks.CancelAsync(cancelled.Id, CancellationToken.None);
        var reader = new JobCancellationReader(DataSource);

        var found = await reader.FindCancelledAsync([cancelled.Jobs[0].Id, running.Jobs[0].Id, Guid.NewGuid()], CancellationToken.None);

        Assert.Equal([cancelled.Jobs[0].Id], found);
        Assert.Empty(await reader.FindCancelledAsync([], CancellationToken.None));
    }
}
