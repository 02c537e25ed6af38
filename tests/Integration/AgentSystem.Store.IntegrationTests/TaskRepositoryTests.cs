using AgentSystem.Contracts;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The orchestrator's writes and reads: create, get, idempotency, cancel.</summary>
public sealed class TaskRepositoryTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task Create_writes_the_task_and_all_its_jobs_and_Get_reads_them_back_in_order()
    {
        var created = await Tasks.CreateAsync(
            NewTask(jobs: 5, goal: "do things", traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), CancellationToken.None);

        Assert.True(created.Created);
        var task = await Tasks.GetAsync(created.Task.Id, CancellationToken.None);
        Assert.NotNull(task);
        Assert.Equal(created.Task.Jobs, task.Jobs);
        Assert.Equal((TaskState.Queued, "do things"), (task.Status, task.Goal));
        Assert.Equal(created.Task.CreatedAt, task.CreatedAt);
        Assert.Equal([0, 1, 2, 3, 4], task.Jobs.Select(j => j.Seq));
        Assert.Equal(["echo", "wordcount", "echo", "wordcount", "echo"], task.Jobs.Select(j => j.Type));
        Assert.All(task.Jobs, j => Assert.Equal((JobState.Queued, 0, (string?)null), (j.Status, j.Attempts, j.Result)));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", await ScalarAsync<string>("SELECT trace_id FROM tasks WHERE id = @id", ("id", task.Id)));
        Assert.Equal("queued", await ScalarAsync<string>("SELECT status FROM tasks WHERE id = @id", ("id", task.Id)));   // stored lower case
        Assert.Null(await Tasks.GetAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task Create_stores_a_hundred_jobs_of_64_KiB_in_one_go()
    {
        var input = new string('x', 64 * 1024);
        var created = await Tasks.CreateAsync(new NewTask(null, [.. Enumerable.Range(0, 100).Select(_ => new NewJob("hash", input))], null, null), CancellationToken.None);

        var task = await Tasks.GetAsync(created.Task.Id, CancellationToken.None);
        Assert.Equal(100, task!.Jobs.Count);
        Assert.All(task.Jobs, j => Assert.Equal(input.Length, j.Input.Length));
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_task_even_when_sent_at_the_same_time()
    {
        var key = "key-" + Guid.NewGuid();
        var first = await Tasks.CreateAsync(NewTask(key: key, goal: "first"), CancellationToken.None);
        var repeat = await Tasks.CreateAsync(NewTask(jobs: 3, key: key, goal: "second"), CancellationToken.None);

        Assert.True(first.Created);
        Assert.False(repeat.Created);
        Assert.Equal(first.Task.Id, repeat.Task.Id);
        Assert.Equal("first", repeat.Task.Goal);
        Assert.Equal(2, repeat.Task.Jobs.Count);

        var raceKey = "race-" + Guid.NewGuid();
        var racing = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Tasks.CreateAsync(NewTask(key: raceKey), CancellationToken.None)));
        Assert.Single(racing, r => r.Created);
        Assert.Single(racing.Select(r => r.Task.Id).Distinct());
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM jobs j JOIN tasks t ON t.id = j.task_id WHERE t.idempotency_key = @key", ("key", raceKey)));
    }

    [Fact]
    public async Task Cancel_cancels_the_queued_jobs_and_the_task_ends_cancelled_once_the_running_one_finishes()
    {
        var created = await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None);
        var jobs = created.Task.Jobs;
        Assert.True(await StartAsync(Jobs, jobs[0].Id, 1));

        var cancelled = await Tasks.CancelAsync(created.Task.Id, CancellationToken.None);

        Assert.NotNull(cancelled);
        Assert.Equal(TaskState.Running, cancelled.Status);   // one job still runs
        Assert.Equal([JobState.Running, JobState.Cancelled, JobState.Cancelled], cancelled.Jobs.Select(j => j.Status));
        Assert.All(cancelled.Jobs.Skip(1), j => Assert.NotNull(j.FinishedAt));
        Assert.False(await StartAsync(Jobs, jobs[1].Id, 1));   // a worker that claims it skips it

        Assert.True(await CompleteAsync(Jobs, jobs[0].Id, "done"));
        var task = await Tasks.GetAsync(created.Task.Id, CancellationToken.None);
        Assert.Equal(TaskState.Cancelled, task!.Status);
        Assert.Equal(JobState.Succeeded, task.Jobs[0].Status);
    }

    [Fact]
    public async Task Cancel_of_a_queued_task_is_final_at_once_and_of_an_unknown_one_is_null()
    {
        var created = await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None);

        var cancelled = await Tasks.CancelAsync(created.Task.Id, CancellationToken.None);
        var again = await Tasks.CancelAsync(created.Task.Id, CancellationToken.None);

        Assert.Equal(TaskState.Cancelled, cancelled!.Status);
        Assert.All(cancelled.Jobs, j => Assert.Equal(JobState.Cancelled, j.Status));
        Assert.Equal(TaskState.Cancelled, again!.Status);
        Assert.True(cancelled.UpdatedAt >= created.Task.UpdatedAt);
        Assert.Null(await Tasks.CancelAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_after_everything_succeeded_changes_nothing()
    {
        var created = await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None);
        await StartAsync(Jobs, created.Task.Jobs[0].Id, 1);
        await CompleteAsync(Jobs, created.Task.Jobs[0].Id, "ok");

        var task = await Tasks.CancelAsync(created.Task.Id, CancellationToken.None);

        Assert.Equal(TaskState.Succeeded, task!.Status);
        Assert.Equal(JobState.Succeeded, task.Jobs[0].Status);
    }
}
