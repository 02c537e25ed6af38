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

        Assert.True(await StartAsync(Jobs, job, 1));
        var running = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
        Assert.Equal((TaskState.Running, JobState.Running, 1), (running!.Status, running.Jobs[0].Status, running.Jobs[0].Attempts));
        Assert.NotNull(running.Jobs[0].StartedAt);

        Assert.True(await CompleteAsync(Jobs, job, "first result"));
        var afterFirst = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
        Assert.False(await CompleteAsync(Jobs, job, "second result"));
        var afterSecond = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);

        Assert.Equal((JobState.Succeeded, "first result"), (afterSecond!.Jobs[0].Status, afterSecond.Jobs[0].Result));
        Assert.NotNull(afterSecond.Jobs[0].FinishedAt);
        Assert.Equal(afterFirst, afterSecond with { Jobs = afterFirst!.Jobs });   // not even updated_at moved
        Assert.Equal(afterFirst.Jobs, afterSecond.Jobs);
        Assert.Equal(TaskState.Running, afterSecond.Status);   // job 1 is still queued

        // A redelivery after success is skipped; a redelivery while running (lost lease) runs again.
        Assert.False(await StartAsync(Jobs, job, 2));
        Assert.True(await StartAsync(Jobs, task.Jobs[1].Id, 1));
        Assert.True(await StartAsync(Jobs, task.Jobs[1].Id, 2));
        Assert.Equal(2, (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!.Jobs[1].Attempts);
        Assert.False(await StartAsync(Jobs, Guid.NewGuid(), 1));
        Assert.False(await CompleteAsync(Jobs, Guid.NewGuid(), "x"));
    }

    [Fact]
    public async Task A_result_without_a_running_mark_records_its_attempt_and_start_and_rolls_the_task_up()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var (job, other) = (task.Jobs[0].Id, task.Jobs[1].Id);

        var recorded = await Jobs.CompleteAsync([new JobResult(job, "quick", Attempt: 2, Elapsed: TimeSpan.FromSeconds(3))], CancellationToken.None);
        Assert.Equal([job], recorded);

        var stored = (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!;
        var row = stored.Jobs[0];
        Assert.Equal((JobState.Succeeded, 2, "quick"), (row.Status, row.Attempts, row.Result));
        Assert.Equal(TimeSpan.FromSeconds(3), row.FinishedAt!.Value - row.StartedAt!.Value);
        Assert.Equal(TaskState.Running, stored.Status);   // one job done, one still queued

        // A job marked running by this delivery keeps that start.
        Assert.True(await StartAsync(Jobs, other, 1));
        var started = (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!.Jobs[1].StartedAt;
        await Jobs.CompleteAsync([new JobResult(other, "slow", Attempt: 1, Elapsed: TimeSpan.FromHours(1))], CancellationToken.None);
        var final = (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!;
        Assert.Equal((TaskState.Succeeded, started), (final.Status, final.Jobs[1].StartedAt));
    }

    [Fact]
    public async Task A_running_mark_records_the_start_as_the_moment_the_job_began_not_the_mark()
    {
        var job = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task.Jobs[0].Id;

        Assert.Equal([job], await Jobs.StartAsync([new JobAttempt(job, 1, Elapsed: TimeSpan.FromMinutes(10))], CancellationToken.None));

        // Both sides read by the server's clock: the row's start is ten minutes before the statement that wrote it.
        var ago = await ScalarAsync<TimeSpan>("SELECT clock_timestamp() - started_at FROM jobs WHERE id = @id", ("id", job));
        Assert.InRange(ago, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(11));
    }

    [Fact]
    public async Task FindRunnable_returns_the_jobs_neither_final_nor_cancelled_nor_unknown_and_changes_nothing()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None)).Task;
        var ids = task.Jobs.Select(job => job.Id).ToArray();
        await StartAsync(Jobs, ids[1], 1);
        await CompleteAsync(Jobs, ids[2], "done");
        var before = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);

        var runnable = await Jobs.FindRunnableAsync([.. ids, Guid.NewGuid()], CancellationToken.None);

        Assert.Equal(ids[..2].ToHashSet(), runnable);   // queued and running may run; succeeded and unknown may not
        Assert.Equal(before!.Jobs, (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!.Jobs);
        Assert.Empty(await Jobs.FindRunnableAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task A_lost_job_is_marked_dead_only_while_it_still_runs_on_the_attempt_read()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None)).Task;
        var (retried, later, lost) = (task.Jobs[0].Id, task.Jobs[1].Id, task.Jobs[2].Id);
        await StartAsync(Jobs, retried, 3);
        await StartAsync(Jobs, later, 3);
        await StartAsync(Jobs, lost, 3);

        // A retry queued it again after the dispatcher read it running; another delivery marked it running once more.
        Assert.True(await Jobs.RecordFailureAsync(retried, "transient", JobState.Queued, CancellationToken.None));
        await StartAsync(Jobs, later, 4);

        Assert.False(await Jobs.MarkLostDeadAsync(retried, 3, "lost", CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM job_dispatch WHERE job_id = @id", ("id", retried)));   // the retry's row kept
        Assert.False(await Jobs.MarkLostDeadAsync(later, 3, "lost", CancellationToken.None));
        Assert.True(await Jobs.MarkLostDeadAsync(lost, 3, "lost", CancellationToken.None));
        Assert.False(await Jobs.MarkLostDeadAsync(lost, 3, "lost again", CancellationToken.None));

        var after = (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!;
        Assert.Equal([(JobState.Queued, 3), (JobState.Running, 4), (JobState.Dead, 3)], after.Jobs.Select(job => (job.Status, job.Attempts)));
        Assert.Equal("lost", after.Jobs[2].Error);
        Assert.Equal(TaskState.Running, after.Status);   // rolled up: two jobs still open
    }

    [Fact]
    public async Task A_retried_failure_leaves_the_job_queued_and_a_dead_one_fails_the_task()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var (flaky, ok) = (task.Jobs[0].Id, task.Jobs[1].Id);

        await StartAsync(Jobs, flaky, 1);
        Assert.True(await Jobs.RecordFailureAsync(flaky, "timeout", JobState.Queued, CancellationToken.None));
        var retrying = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
        Assert.Equal((JobState.Queued, 1, "timeout"), (retrying!.Jobs[0].Status, retrying.Jobs[0].Attempts, retrying.Jobs[0].Error));
        Assert.Equal(TaskState.Running, retrying.Status);   // it has run, so it stays running through the retry

        await StartAsync(Jobs, ok, 1);
        await CompleteAsync(Jobs, ok, "fine");
        await StartAsync(Jobs, flaky, 2);
        Assert.True(await Jobs.RecordFailureAsync(flaky, "timeout again", JobState.Dead, CancellationToken.None));
        Assert.False(await Jobs.RecordFailureAsync(flaky, "late", JobState.Dead, CancellationToken.None));
        Assert.False(await CompleteAsync(Jobs, flaky, "too late"));

        var final = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
        Assert.Equal((JobState.Dead, 2, "timeout again", (string?)null), (final!.Jobs[0].Status, final.Jobs[0].Attempts, final.Jobs[0].Error, final.Jobs[0].Result));
        Assert.Equal(TaskState.Failed, final.Status);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Jobs.RecordFailureAsync(ok, "x", JobState.Succeeded, CancellationToken.None));
    }

    [Fact]
    public async Task Results_are_written_in_place_and_a_job_has_a_dispatch_row_while_it_is_queued()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 4), CancellationToken.None)).Task;
        var ids = task.Jobs.Select(j => j.Id).ToArray();
        async Task<Guid[]> DispatchRowsAsync() =>
            [.. (await ScalarAsync<Guid[]>("SELECT coalesce(array_agg(job_id), '{}') FROM job_dispatch WHERE job_id = ANY(@ids)", ("ids", ids))).OrderBy(id => Array.IndexOf(ids, id))];

        Assert.Equal(ids, await DispatchRowsAsync());
        await StartAsync(Jobs, ids[0], 1);
        Assert.Equal(ids[1..], await DispatchRowsAsync());
        Assert.True(await Jobs.RecordFailureAsync(ids[0], "transient", JobState.Queued, CancellationToken.None));
        Assert.Equal(ids, await DispatchRowsAsync());   // queued again: the dispatcher's again

        // In place: the new versions on the rows' own page, which (no index covering a column a result changes, as
        // MigrationTests checks) makes the update HOT, no index entry written.
        var pages = await PagesOfAsync(ids[..2]);
        var written = await Jobs.CompleteAsync([new JobResult(ids[0], "a", 2, TimeSpan.Zero), new JobResult(ids[1], "b", 1, TimeSpan.Zero)], CancellationToken.None);
        Assert.Equal(2, written.Count);
        Assert.Equal(pages, await PagesOfAsync(ids[..2]));
        Assert.Equal(ids[2..], await DispatchRowsAsync());

        Assert.Empty(await Jobs.CompleteAsync([new JobResult(ids[0], "again", 2, TimeSpan.Zero)], CancellationToken.None));
        Assert.True(await Jobs.RecordFailureAsync(ids[2], "fatal", JobState.Dead, CancellationToken.None));
        Assert.Equal(ids[3..], await DispatchRowsAsync());
        await Tasks.CancelAsync(task.Id, owner: null, CancellationToken.None);
        Assert.Empty(await DispatchRowsAsync());
    }

    /// <summary>The page each job's current row version is on (its ctid's block), in the order of <paramref name="ids"/>.</summary>
    private Task<long[]> PagesOfAsync(Guid[] ids) => ScalarAsync<long[]>(
        "SELECT array_agg((ctid::text::point)[0]::bigint ORDER BY array_position(@ids, id)) FROM jobs WHERE id = ANY(@ids)", ("ids", ids));

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
                    await StartAsync(Jobs, id, 1);
                    await CompleteAsync(Jobs, id, "ok");
                    break;
                case "dead" or "failed":
                    await StartAsync(Jobs, id, 1);
                    await Jobs.RecordFailureAsync(id, "no", outcomes[i] == "dead" ? JobState.Dead : JobState.Failed, CancellationToken.None);
                    break;
                default:
                    break;   // left queued, then cancelled below
            }

            var now = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
            var open = now!.Jobs.Any(j => !j.Status.IsFinal());
            Assert.True(open ? !now.Status.IsFinal() : now.Status.IsFinal(), $"after job {i}: task {now.Status}");
        }

        if (outcomes.Contains("cancel"))
        {
            await Tasks.CancelAsync(task.Id, owner: null, CancellationToken.None);
        }

        Assert.Equal(expected, (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!.Status);
        Assert.Equal(expected.Name(), await ScalarAsync<string>("SELECT status FROM tasks WHERE id = @id", ("id", task.Id)));
    }

    [Fact]
    public async Task Concurrent_completes_of_one_job_from_separate_connections_count_once()
    {
        for (var round = 0; round < 10; round++)
        {
            var task = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
            var job = task.Jobs[0].Id;
            await StartAsync(Jobs, job, 1);

            // Two workers (separate pools, so separate connections) finish the same delivery at once.
            await using var other = NpgsqlDataSource.Create(Database.ConnectionString);
            var otherJobs = new JobRepository(other);
            var results = await Task.WhenAll(
                Task.Run(() => CompleteAsync(Jobs, job, "from A")),
                Task.Run(() => CompleteAsync(otherJobs, job, "from B")));

            Assert.Single(results, r => r);
            var final = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
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
                await StartAsync(Jobs, job.Id, 1);
            }

            var pools = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(Database.ConnectionString)).ToList();
            try
            {
                var results = await Task.WhenAll(task.Jobs.Select((job, i) =>
                    Task.Run(() => CompleteAsync(new JobRepository(pools[i % pools.Count]), job.Id, "ok"))));
                Assert.All(results, Assert.True);
            }
            finally
            {
                foreach (var pool in pools)
                {
                    await pool.DisposeAsync();
                }
            }

            Assert.Equal(TaskState.Succeeded, (await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None))!.Status);
        }
    }

    [Fact]
    public async Task The_cancellation_reader_names_exactly_the_cancelled_jobs()
    {
        var cancelled = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var running = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        await StartAsync(Jobs, cancelled.Jobs[0].Id, 1);
        await StartAsync(Jobs, running.Jobs[0].Id, 1);
        await Tasks.CancelAsync(cancelled.Id, owner: null, CancellationToken.None);
        var reader = new JobCancellationReader(DataSource);

        var found = await reader.FindCancelledAsync([cancelled.Jobs[0].Id, running.Jobs[0].Id, Guid.NewGuid()], CancellationToken.None);

        Assert.Equal([cancelled.Jobs[0].Id], found);
        Assert.Empty(await reader.FindCancelledAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task One_batch_across_tasks_records_each_job_once_skips_final_and_unknown_ones_and_rolls_every_task_up()
    {
        var first = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var second = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        var ids = first.Jobs.Select(job => job.Id).Append(second.Jobs[0].Id).ToArray();
        await CompleteAsync(Jobs, ids[2], "done before");
        var unknown = Guid.NewGuid();

        var run = await Jobs.StartAsync([.. ids.Select(id => new JobAttempt(id, 1, TimeSpan.Zero)), new JobAttempt(unknown, 1, TimeSpan.Zero)], CancellationToken.None);
        Assert.Equal(ids[..2].ToHashSet(), run);

        var beforeResults = await Tasks.GetAsync(second.Id, owner: null, CancellationToken.None);
        var recorded = await Jobs.CompleteAsync(
            [new JobResult(ids[0], "a", 1, TimeSpan.Zero), new JobResult(ids[1], "b", 1, TimeSpan.Zero), new JobResult(ids[0], "a again", 1, TimeSpan.Zero), new JobResult(ids[2], "late", 1, TimeSpan.Zero), new JobResult(unknown, "x", 1, TimeSpan.Zero)],
            CancellationToken.None);
        Assert.Equal(ids[..2].ToHashSet(), recorded);

        var done = await Tasks.GetAsync(first.Id, owner: null, CancellationToken.None);
        Assert.Equal(TaskState.Succeeded, done!.Status);
        Assert.True(done.Jobs[0].Result is "a" or "a again", done.Jobs[0].Result);   // one of the two deliveries' results, once
        Assert.Equal("b", done.Jobs[1].Result);
        var afterResults = await Tasks.GetAsync(second.Id, owner: null, CancellationToken.None);   // final before: untouched
        Assert.Equal(beforeResults, afterResults! with { Jobs = beforeResults!.Jobs });
        Assert.Equal(beforeResults.Jobs, afterResults.Jobs);
        Assert.Empty(await Jobs.CompleteAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task Overlapping_batches_from_separate_connections_in_opposite_orders_count_each_job_once_without_deadlock()
    {
        var tasks = new List<TaskRecord>();
        for (var i = 0; i < 20; i++)
        {
            tasks.Add((await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None)).Task);
        }

        var ids = tasks.SelectMany(task => task.Jobs.Select(job => job.Id)).ToArray();
        await using var other = NpgsqlDataSource.Create(Database.ConnectionString);
        var otherJobs = new JobRepository(other);
        var results = await Task.WhenAll(
            Task.Run(() => Jobs.CompleteAsync([.. ids.Select(id => new JobResult(id, "A", 1, TimeSpan.Zero))], CancellationToken.None)),
            Task.Run(() => otherJobs.CompleteAsync([.. ids.Reverse().Select(id => new JobResult(id, "B", 1, TimeSpan.Zero))], CancellationToken.None)));

        Assert.Equal(ids.Length, results[0].Count + results[1].Count);
        Assert.Empty(results[0].Intersect(results[1]));
        Assert.Equal(ids.Length, await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status = 'succeeded'", ("ids", ids)));
        Assert.Equal(tasks.Count, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE id = ANY(@ids) AND status = 'succeeded'", ("ids", tasks.Select(task => task.Id).ToArray())));
    }

    [Fact]
    public async Task A_batch_writes_its_jobs_while_another_transaction_holds_their_task_and_waits_for_the_task_only_to_roll_it_up()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var job = task.Jobs[0].Id;
        await using var holder = await DataSource.OpenConnectionAsync();
        await using var held = await holder.BeginTransactionAsync();
        await ExecuteAsync(holder, "SELECT id FROM tasks WHERE id = @id FOR UPDATE", ("id", task.Id));

        var writing = Task.Run(() => CompleteAsync(Jobs, job, "done"));
        await WaitForLockWaitAsync();

        // The batch waits for the task with its job written (row-locked) already: the lock order is jobs, then tasks.
        await using var probe = await DataSource.OpenConnectionAsync();
        var busy = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(probe, "SELECT id FROM jobs WHERE id = @id FOR UPDATE NOWAIT", ("id", job)));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, busy.SqlState);

        await held.CommitAsync();
        Assert.True(await writing);
        var after = await Tasks.GetAsync(task.Id, owner: null, CancellationToken.None);
        Assert.Equal((TaskState.Running, JobState.Succeeded), (after!.Status, after.Jobs[0].Status));
    }

    [Fact]
    public async Task A_cancel_waiting_for_a_job_a_batch_wrote_leaves_the_task_free_for_that_batch()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        await using var batch = await DataSource.OpenConnectionAsync();
        await using var written = await batch.BeginTransactionAsync();
        await ExecuteAsync(batch, "UPDATE jobs SET status = 'succeeded', result = 'ok' WHERE id = @id", ("id", task.Jobs[0].Id));

        var cancelling = Task.Run(() => Tasks.CancelAsync(task.Id, owner: null, CancellationToken.None));
        await WaitForLockWaitAsync();

        // A cancel that locked the task before its jobs would hold it here, and this batch and the cancel would deadlock.
        await ExecuteAsync(batch, "SELECT id FROM tasks WHERE id = @id FOR UPDATE NOWAIT", ("id", task.Id));
        await written.CommitAsync();

        var cancelled = await cancelling;
        Assert.True(cancelled!.Changed);
        Assert.Equal(TaskState.Cancelled, cancelled.Task.Status);
        Assert.Equal([JobState.Succeeded, JobState.Cancelled], cancelled.Task.Jobs.Select(job => job.Status));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = WithParameters(new NpgsqlCommand(sql, connection), parameters);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Until some session of this test's database waits for a lock (a deadline only as a safety net).</summary>
    private async Task WaitForLockWaitAsync()
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(20))
        {
            if (await ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "no session started waiting for a lock");
        }
    }
}
