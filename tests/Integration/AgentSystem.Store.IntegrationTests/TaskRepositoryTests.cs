using AgentSystem.Contracts;
using Npgsql;

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
        var task = await Tasks.GetAsync(created.Task.Id, owner: null, CancellationToken.None);
        Assert.NotNull(task);
        Assert.Equal(created.Task.Jobs, task.Jobs);
        Assert.Equal((TaskState.Queued, "do things"), (task.Status, task.Goal));
        Assert.Equal(created.Task.CreatedAt, task.CreatedAt);
        Assert.Equal([0, 1, 2, 3, 4], task.Jobs.Select(j => j.Seq));
        Assert.Equal(["echo", "wordcount", "echo", "wordcount", "echo"], task.Jobs.Select(j => j.Type));
        Assert.All(task.Jobs, j => Assert.Equal((JobState.Queued, 0, (string?)null), (j.Status, j.Attempts, j.Result)));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", await ScalarAsync<string>("SELECT trace_id FROM tasks WHERE id = @id", ("id", task.Id)));
        Assert.Equal("queued", await ScalarAsync<string>("SELECT status FROM tasks WHERE id = @id", ("id", task.Id)));   // stored lower case
        Assert.Null(await Tasks.GetAsync(Guid.NewGuid(), owner: null, CancellationToken.None));
    }

    [Fact]
    public async Task Create_stores_a_hundred_jobs_of_64_KiB_in_one_go()
    {
        var input = new string('x', 64 * 1024);
        var created = await Tasks.CreateAsync(new NewTask(null, [.. Enumerable.Range(0, 100).Select(_ => new NewJob("hash", input))], null, null, null), CancellationToken.None);

        var task = await Tasks.GetAsync(created.Task.Id, owner: null, CancellationToken.None);
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
    public async Task CreateMany_stores_each_task_with_its_jobs_and_returns_them_in_order()
    {
        var created = await Tasks.CreateManyAsync([NewTask(jobs: 1, goal: "one"), NewTask(jobs: 3, goal: "three"), NewTask(jobs: 2, goal: "two")], CancellationToken.None);

        Assert.Equal(["one", "three", "two"], created.Select(c => c.Task.Goal));
        Assert.All(created, c => Assert.True(c.Created));
        foreach (var c in created)
        {
            var stored = await Tasks.GetAsync(c.Task.Id, owner: null, CancellationToken.None);
            Assert.Equal(c.Task.Jobs, stored!.Jobs);
            Assert.Equal((c.Task.CreatedAt, c.Task.UpdatedAt), (stored.CreatedAt, stored.UpdatedAt));
        }
    }

    [Fact]
    public async Task CreateMany_answers_a_key_repeated_in_the_batch_or_taken_before_with_the_earlier_task()
    {
        var (taken, repeated) = ("taken-" + Guid.NewGuid(), "repeated-" + Guid.NewGuid());
        var earlier = await Tasks.CreateAsync(NewTask(key: taken, goal: "earlier"), CancellationToken.None);

        var created = await Tasks.CreateManyAsync(
            [NewTask(key: repeated, goal: "first"), NewTask(key: taken, goal: "late"), NewTask(jobs: 3, key: repeated, goal: "second"), NewTask(goal: "free")],
            CancellationToken.None);

        Assert.Equal([true, false, false, true], created.Select(c => c.Created));
        Assert.Equal(earlier.Task with { Jobs = [] }, created[1].Task with { Jobs = [] });
        Assert.Equal(earlier.Task.Jobs, created[1].Task.Jobs);
        Assert.Equal(created[0].Task with { Jobs = [] }, created[2].Task with { Jobs = [] });
        Assert.Equal(created[0].Task.Jobs, created[2].Task.Jobs);
        Assert.Equal("first", created[2].Task.Goal);
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM jobs j JOIN tasks t ON t.id = j.task_id WHERE t.idempotency_key = @key", ("key", repeated)));
    }

    [Fact]
    public async Task CreateMany_is_one_transaction_a_task_PostgreSQL_rejects_stores_none()
    {
        var goal = "batch-" + Guid.NewGuid();
        var bad = new NewTask(goal, [new NewJob("echo", "a NUL \0 PostgreSQL's text cannot hold")], null, null, null);

        await Assert.ThrowsAsync<PostgresException>(() => Tasks.CreateManyAsync([NewTask(goal: goal), bad, NewTask(goal: goal)], CancellationToken.None));

        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE goal = @goal", ("goal", goal)));
    }

    [Fact]
    public async Task Concurrent_batches_sharing_keys_in_opposite_orders_neither_deadlock_nor_store_a_key_twice()
    {
        for (var round = 0; round < 20; round++)
        {
            var (a, b) = ($"a-{round}-{Guid.NewGuid()}", $"b-{round}-{Guid.NewGuid()}");
            var batches = await Task.WhenAll(
                Tasks.CreateManyAsync([NewTask(key: a), NewTask(key: b)], CancellationToken.None),
                Tasks.CreateManyAsync([NewTask(key: b), NewTask(key: a)], CancellationToken.None));

            Assert.Equal(batches[0][0].Task.Id, batches[1][1].Task.Id);
            Assert.Equal(batches[0][1].Task.Id, batches[1][0].Task.Id);
            Assert.Equal(2, batches.SelectMany(batch => batch).Count(c => c.Created));
        }
    }

    [Fact]
    public async Task Cancel_makes_queued_and_running_jobs_cancelled_and_the_task_final_at_once()
    {
        var created = await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None);
        var jobs = created.Task.Jobs;
        Assert.True(await StartAsync(Jobs, jobs[0].Id, 1));

        var cancel = await Tasks.CancelAsync(created.Task.Id, owner: null, CancellationToken.None);

        Assert.NotNull(cancel);
        Assert.True(cancel.Changed);
        Assert.Equal(TaskState.Cancelled, cancel.Task.Status);
        Assert.All(cancel.Task.Jobs, j => Assert.Equal(JobState.Cancelled, j.Status));
        Assert.All(cancel.Task.Jobs, j => Assert.NotNull(j.FinishedAt));
        Assert.False(await StartAsync(Jobs, jobs[1].Id, 1));   // a worker that claims it skips it

        // The worker that ran job 0 finishes or fails it later: nothing changes, nothing is retried.
        Assert.False(await CompleteAsync(Jobs, jobs[0].Id, "done"));
        Assert.False(await Jobs.RecordFailureAsync(jobs[0].Id, "stopped", JobState.Queued, CancellationToken.None));
        var task = await Tasks.GetAsync(created.Task.Id, owner: null, CancellationToken.None);
        Assert.Equal(cancel.Task with { Jobs = [] }, task! with { Jobs = [] });
        Assert.Equal(cancel.Task.Jobs, task.Jobs);
    }

    [Fact]
    public async Task Cancel_of_a_queued_task_is_final_at_once_and_of_an_unknown_one_is_null()
    {
        var created = await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None);

        var cancel = await Tasks.CancelAsync(created.Task.Id, owner: null, CancellationToken.None);

        Assert.True(cancel!.Changed);
        Assert.Equal(TaskState.Cancelled, cancel.Task.Status);
        Assert.All(cancel.Task.Jobs, j => Assert.Equal(JobState.Cancelled, j.Status));
        Assert.True(cancel.Task.UpdatedAt >= created.Task.UpdatedAt);
        Assert.Null(await Tasks.CancelAsync(Guid.NewGuid(), owner: null, CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_of_a_final_task_changes_nothing_not_even_updated_at()
    {
        var succeeded = await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None);
        await StartAsync(Jobs, succeeded.Task.Jobs[0].Id, 1);
        await CompleteAsync(Jobs, succeeded.Task.Jobs[0].Id, "ok");
        var cancelled = await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None);
        await Tasks.CancelAsync(cancelled.Task.Id, owner: null, CancellationToken.None);

        foreach (var id in new[] { succeeded.Task.Id, cancelled.Task.Id })
        {
            var before = await Tasks.GetAsync(id, owner: null, CancellationToken.None);

            var cancel = await Tasks.CancelAsync(id, owner: null, CancellationToken.None);

            Assert.False(cancel!.Changed);
            Assert.Equal(before! with { Jobs = [] }, cancel.Task with { Jobs = [] });
            Assert.Equal(before.Jobs, cancel.Task.Jobs);
        }
    }

    [Fact]
    public async Task GetChanged_reads_many_tasks_with_their_jobs_and_leaves_out_the_unchanged_and_the_unknown()
    {
        var one = (await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None)).Task;
        var two = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        var three = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        await StartAsync(Jobs, three.Jobs[1].Id, 1);

        var all = await Tasks.GetChangedAsync([new(one.Id, null), new(two.Id, null), new(three.Id, null), new(Guid.NewGuid(), null)], CancellationToken.None);

        Assert.Equal(new[] { one.Id, two.Id, three.Id }.Order(), all.Select(t => t.Id).Order());
        foreach (var task in all)
        {
            var single = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
            Assert.Equal(single! with { Jobs = [] }, task with { Jobs = [] });
            Assert.Equal(single.Jobs, task.Jobs);
        }

        // Seen at their current updated_at: left out, unless changed since.
        var seen = all.Select(t => new TaskVersion(t.Id, t.UpdatedAt)).ToList();
        Assert.Empty(await Tasks.GetChangedAsync(seen, CancellationToken.None));
        await StartAsync(Jobs, one.Jobs[0].Id, 1);
        var changed = Assert.Single(await Tasks.GetChangedAsync(seen, CancellationToken.None));
        Assert.Equal((one.Id, TaskState.Running, JobState.Running), (changed.Id, changed.Status, changed.Jobs[0].Status));
        Assert.Empty(await Tasks.GetChangedAsync([], CancellationToken.None));

        // A reader that has the inputs already (the events hub) leaves them out; the rest is read as before.
        await CompleteAsync(Jobs, one.Jobs[0].Id, "done");
        var lean = Assert.Single(await Tasks.GetChangedAsync([new(one.Id, null, WithoutInputs: true)], CancellationToken.None));
        var whole = await Tasks.GetAsync(one.Id, owner: null, CancellationToken.None);
        Assert.All(lean.Jobs, job => Assert.Equal("", job.Input));
        Assert.Equal(whole!.Jobs.Select(job => job with { Input = "" }), lean.Jobs);
        Assert.Contains(whole.Jobs, job => job.Input.Length > 0);

        // Jobs the reader holds final come without their result and error (a final job is never written again); a job
        // that became final since is read whole.
        await Jobs.RecordFailureAsync(one.Jobs[1].Id, "broken", JobState.Failed, CancellationToken.None);
        await CompleteAsync(Jobs, one.Jobs[2].Id, "later");
        var failed = await Tasks.GetAsync(one.Id, owner: null, CancellationToken.None);
        Assert.Equal(("done", "broken", "later"), (failed!.Jobs[0].Result, failed.Jobs[1].Error, failed.Jobs[2].Result));
        Guid[] settled = [one.Jobs[0].Id, one.Jobs[1].Id, two.Jobs[0].Id];
        var read = Assert.Single(await Tasks.GetChangedAsync([new(one.Id, null, WithoutInputs: true, SettledJobs: settled)], CancellationToken.None));
        Assert.Equal(failed.Jobs.Select(job => settled.Contains(job.Id) ? job with { Input = "", Result = null, Error = null } : job with { Input = "" }), read.Jobs);
    }
}
