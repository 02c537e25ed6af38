using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>MarkEnqueued, UnmarkEnqueued and FindUndispatched: the dispatcher's view (a class of its own: it sees every queued job).</summary>
public sealed class DispatchTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static readonly string Client = ClientId.Of("key-1 192.0.2.10");

    [Fact]
    public async Task MarkEnqueued_skips_a_job_another_transaction_holds_instead_of_waiting_for_it()
    {
        var task = (await Tasks.CreateAsync(NewTask(jobs: 2), CancellationToken.None)).Task;
        var ids = task.Jobs.Select(j => j.Id).ToArray();
        await Tasks.UnmarkEnqueuedAsync(ids, CancellationToken.None);
        await using var worker = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await worker.OpenAsync();
        await using var writing = await worker.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT id FROM jobs WHERE id = $1 FOR UPDATE", worker, writing))
        {
            hold.Parameters.Add(new Npgsql.NpgsqlParameter<Guid> { TypedValue = ids[0] });
            await hold.ExecuteScalarAsync();
        }

        // Bounded only so that a regression fails instead of hanging: waiting for the lock would never end.
        await Tasks.MarkEnqueuedAsync(ids, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([ids[0]], (await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None)).Select(m => m.JobId));
        await writing.RollbackAsync();
        await Tasks.CancelAsync(task.Id, owner: null, CancellationToken.None);   // the class shares one database: leave no queued job
    }

    [Fact]
    public async Task New_jobs_are_written_as_enqueued_undispatched_once_unmarked_until_marked_and_again_once_the_mark_is_stale()
    {
        var created = (await Tasks.CreateAsync(NewTask(jobs: 3, traceParent: TraceParent, client: Client), CancellationToken.None)).Task;
        var ids = created.Jobs.Select(j => j.Id).ToList();
        Assert.Empty(await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None));

        await Tasks.UnmarkEnqueuedAsync(ids, CancellationToken.None);
        // Oldest first, by UUIDv7 (to the millisecond): a task's jobs made in one millisecond come in any order.
        var found = (await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None)).OrderBy(m => ids.IndexOf(m.JobId)).ToList();
        Assert.Equal(ids, found.Select(m => m.JobId));
        Assert.All(found, m =>
        {
            Assert.Equal(created.Id, m.TaskId);
            Assert.Equal(1, m.Attempt);
            Assert.Equal(TraceParent, m.TraceParent);
            Assert.Equal(Client, m.Client);   // sent again into its client's lane, not the shared one
            Assert.Null(m.EnqueuedAt);
        });
        Assert.Equal(["echo", "wordcount", "echo"], found.Select(m => m.Type));
        Assert.Equal(2, (await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 2, CancellationToken.None)).Count);

        await Tasks.MarkEnqueuedAsync(ids, CancellationToken.None);
        Assert.Empty(await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None));

        await Task.Delay(700);
        Assert.Equal(ids.Order(), (await Tasks.FindUndispatchedAsync(TimeSpan.FromMilliseconds(500), 100, CancellationToken.None)).Select(m => m.JobId).Order());

        // Once a job runs or ends, it is not the dispatcher's any more; a retried one is, with its next attempt.
        await StartAsync(Jobs, ids[0], 1);
        await StartAsync(Jobs, ids[1], 1);
        await Jobs.RecordFailureAsync(ids[1], "transient", JobState.Queued, CancellationToken.None);
        Assert.Equal(Client, await ScalarAsync<string>("SELECT client FROM tasks WHERE id = @id", ("id", created.Id)));
        await Tasks.CancelAsync(created.Id, owner: null, CancellationToken.None);   // cancels all three, 0 while it runs
        // Final, it needs no lane any more: the pseudonym is not kept.
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(client) FROM tasks WHERE id = @id", ("id", created.Id)));
        await Tasks.MarkEnqueuedAsync([], CancellationToken.None);
        Assert.Empty(await Tasks.FindUndispatchedAsync(TimeSpan.Zero, 100, CancellationToken.None));

        var retried = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task.Jobs[0].Id;
        await StartAsync(Jobs, retried, 1);
        await Jobs.RecordFailureAsync(retried, "transient", JobState.Queued, CancellationToken.None);
        Assert.Empty(await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None));   // requeued just now
        var again = Assert.Single(await Tasks.FindUndispatchedAsync(TimeSpan.Zero, 100, CancellationToken.None));
        Assert.Equal((retried, 2, null), (again.JobId, again.Attempt, again.Client));
    }

    [Fact]
    public async Task Dispatch_rows_whose_job_is_gone_or_not_queued_are_deleted_not_sent_and_do_not_hold_the_round_back()
    {
        // Rows as services older than migration 0003, or a hand-made delete, could leave them: unsent, so first in line.
        var task = (await Tasks.CreateAsync(NewTask(jobs: 3), CancellationToken.None)).Task;
        var (done, running, queued) = (task.Jobs[0].Id, task.Jobs[1].Id, task.Jobs[2].Id);
        await ExecuteAsync("UPDATE jobs SET status = 'succeeded' WHERE id = @id", ("id", done));
        await ExecuteAsync("UPDATE jobs SET status = 'running' WHERE id = @id", ("id", running));
        var gone = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO job_dispatch VALUES (@id, NULL)", ("id", gone));
        await Tasks.UnmarkEnqueuedAsync([queued], CancellationToken.None);
        await ExecuteAsync("UPDATE job_dispatch SET enqueued_at = NULL WHERE job_id = ANY(@ids)", ("ids", new[] { done, running }));

        Assert.Equal([queued], (await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None)).Select(m => m.JobId));

        Assert.Equal([queued], await ScalarAsync<Guid[]>("SELECT array_agg(job_id) FROM job_dispatch WHERE job_id = ANY(@ids)", ("ids", new[] { done, running, queued, gone })));
        Assert.Equal([queued], (await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 1, CancellationToken.None)).Select(m => m.JobId));
        await Tasks.CancelAsync(task.Id, owner: null, CancellationToken.None);   // the class shares one database: leave no queued job
    }

    [Fact]
    public async Task FindUndispatched_reads_the_unsent_and_the_stale_jobs_not_a_backlog_of_fresh_ones_the_statistics_never_saw()
    {
        // 20,000 jobs the statistics saw final (no dispatch rows), then queued and sent just now: a backlog building up
        // since the last ANALYZE (autovacuum is off for the tables meanwhile, so no analyze corrects the picture).
        const int Backlog = 20_000;
        var backlogTask = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task.Id;
        var unsent = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        var stale = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        await ExecuteAsync("ALTER TABLE jobs SET (autovacuum_enabled = false)");
        await ExecuteAsync("ALTER TABLE job_dispatch SET (autovacuum_enabled = false)");
        try
        {
            await ExecuteAsync(
                "INSERT INTO jobs (id, task_id, seq, type, input, status) SELECT gen_random_uuid(), @task, s, 'echo', 'x', 'succeeded' FROM generate_series(1, @n) s",
                ("task", backlogTask), ("n", Backlog));
            await ExecuteAsync("ANALYZE jobs");
            await ExecuteAsync("ANALYZE job_dispatch");
            await ExecuteAsync("UPDATE jobs SET status = 'queued' WHERE task_id = @task AND seq > 0", ("task", backlogTask));
            await ExecuteAsync("INSERT INTO job_dispatch SELECT id, now() FROM jobs WHERE task_id = @task AND seq > 0", ("task", backlogTask));
            await Tasks.UnmarkEnqueuedAsync([unsent.Jobs[0].Id], CancellationToken.None);
            await ExecuteAsync(
                "UPDATE job_dispatch SET enqueued_at = now() - interval '2 minutes' WHERE job_id IN (SELECT id FROM jobs WHERE task_id = @task)", ("task", stale.Id));

            var found = await Tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(1), 500, CancellationToken.None);
            Assert.Equal([unsent.Jobs[0].Id, stale.Jobs[0].Id], found.Select(m => m.JobId));

            // Walking the backlog touches hundreds of pages (its index entries and rows); two index ranges a handful.
            var pages = await PagesTouchedAsync(TaskRepository.UndispatchedStatements(TimeSpan.FromMinutes(1), 500));
            Assert.True(pages < 50, $"the dispatcher's query touched {pages} pages with {Backlog:N0} fresh jobs queued");
        }
        finally
        {
            foreach (var task in new[] { backlogTask, unsent.Id, stale.Id })
            {
                await Tasks.CancelAsync(task, owner: null, CancellationToken.None);   // the class shares one database: leave no queued job
            }

            await ExecuteAsync("ALTER TABLE jobs RESET (autovacuum_enabled)");
            await ExecuteAsync("ALTER TABLE job_dispatch RESET (autovacuum_enabled)");
        }
    }

    [Fact]
    public async Task FindLongRunning_finds_the_jobs_running_long_in_tasks_unchanged_as_long_by_key_not_by_reading_every_task()
    {
        // A task whose first job a worker marked running five minutes ago and nothing changed since (the worker died and
        // Redis lost its lease, or it runs still), beside one changed just now and 20,000 final tasks and jobs the
        // statistics never saw: a plan made on them would read every task or every job each dispatcher round.
        const int Backlog = 20_000;
        var backlogGoal = $"backlog {Guid.CreateVersion7()}";
        var quiet = (await Tasks.CreateAsync(NewTask(jobs: 3, traceParent: TraceParent, client: Client), CancellationToken.None)).Task;
        var busy = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        // Another key's (the owners are walked one by one), and a quiet task whose only job waits queued (a retry).
        var otherOwners = (await Tasks.CreateAsync(NewTask(jobs: 1, owner: "key-z"), CancellationToken.None)).Task;
        var waiting = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task;
        var (longRunning, justStarted, queued) = (quiet.Jobs[0].Id, quiet.Jobs[1].Id, quiet.Jobs[2].Id);
        await ExecuteAsync("ALTER TABLE tasks SET (autovacuum_enabled = false)");
        await ExecuteAsync("ALTER TABLE jobs SET (autovacuum_enabled = false)");
        try
        {
            await ExecuteAsync("ANALYZE tasks");
            await ExecuteAsync("ANALYZE jobs");
            await ExecuteAsync(
                "INSERT INTO tasks (id, status, goal) SELECT gen_random_uuid(), 'succeeded', @goal FROM generate_series(1, @n)",
                ("goal", backlogGoal), ("n", Backlog));
            await ExecuteAsync(
                "INSERT INTO jobs (id, task_id, seq, type, input, status) SELECT gen_random_uuid(), t.id, 0, 'echo', 'x', 'succeeded' FROM tasks t WHERE goal = @goal",
                ("goal", backlogGoal));
            await ExecuteAsync("UPDATE jobs SET status = 'running', attempts = 1, started_at = now() - interval '5 minutes' WHERE id = ANY(@ids)",
                ("ids", new[] { longRunning, busy.Jobs[0].Id, otherOwners.Jobs[0].Id }));
            await ExecuteAsync("UPDATE jobs SET attempts = 1 WHERE id = @id", ("id", waiting.Jobs[0].Id));
            await ExecuteAsync("UPDATE jobs SET status = 'running', attempts = 1, started_at = now() WHERE id = @id", ("id", justStarted));
            await ExecuteAsync("UPDATE tasks SET status = 'running', created_at = now() - interval '3 minutes', updated_at = now() - interval '2 minutes' WHERE id = ANY(@ids)",
                ("ids", new[] { quiet.Id, otherOwners.Id }));
            // The oldest: without the check for a long-running job, it would take the one place below.
            await ExecuteAsync("UPDATE tasks SET status = 'running', created_at = now() - interval '4 minutes', updated_at = now() - interval '2 minutes' WHERE id = @id",
                ("id", waiting.Id));
            await ExecuteAsync("UPDATE tasks SET status = 'running' WHERE id = @id", ("id", busy.Id));

            Guid[] ours = [quiet.Id, busy.Id, otherOwners.Id, waiting.Id];
            var found = (await Tasks.FindLongRunningAsync(TimeSpan.FromMinutes(1), 100, CancellationToken.None)).Where(m => ours.Contains(m.TaskId)).ToList();

            Assert.Equal(new[] { otherOwners.Jobs[0].Id, longRunning }.Order(), found.Select(m => m.JobId).Order());
            var message = Assert.Single(found, m => m.TaskId == quiet.Id);
            Assert.Equal((longRunning, quiet.Id, "echo", 2, TraceParent, Client), (message.JobId, message.TaskId, message.Type, message.Attempt, message.TraceParent, message.Client));
            // The waiting task takes no place: with room for one task, the oldest with a long-running job comes.
            Assert.Single(await Tasks.FindLongRunningAsync(TimeSpan.FromMinutes(1), 1, CancellationToken.None), m => ours.Contains(m.TaskId));
            Assert.Equal([longRunning], await Tasks.WhichRunningAsync([longRunning, queued, Guid.CreateVersion7()], CancellationToken.None));
            var pages = await PagesTouchedAsync(TaskRepository.LongRunningStatements(TimeSpan.FromMinutes(1), 100));
            Assert.True(pages < 50, $"the long-running jobs' query touched {pages} pages beside {Backlog:N0} final tasks and jobs");
        }
        finally
        {
            await Tasks.CancelAsync(quiet.Id, owner: null, CancellationToken.None);   // the class shares one database: leave no open job
            await Tasks.CancelAsync(busy.Id, owner: null, CancellationToken.None);
            await Tasks.CancelAsync(otherOwners.Id, owner: null, CancellationToken.None);
            await Tasks.CancelAsync(waiting.Id, owner: null, CancellationToken.None);
            await ExecuteAsync("DELETE FROM tasks WHERE goal = @goal", ("goal", backlogGoal));   // their jobs with them
            await ExecuteAsync("ALTER TABLE tasks RESET (autovacuum_enabled)");
            await ExecuteAsync("ALTER TABLE jobs RESET (autovacuum_enabled)");
        }
    }

    [Fact]
    public async Task A_result_batch_deletes_its_dispatch_rows_by_key_when_the_statistics_say_the_table_is_empty()
    {
        // The queue drained, autovacuum analyzed job_dispatch empty, then a backlog arrived: a plan made on those
        // statistics (a prepared statement's generic plan, as the workers' batches get) must still look the rows up by
        // key. It scanned all of job_dispatch_enqueued_at_idx (enqueued_at, job_id) when job_id was in it.
        const int Backlog = 20_000;
        var backlogTask = (await Tasks.CreateAsync(NewTask(jobs: 1), CancellationToken.None)).Task.Id;
        await ExecuteAsync("ALTER TABLE job_dispatch SET (autovacuum_enabled = false)");
        try
        {
            await ExecuteAsync("DELETE FROM job_dispatch");
            await ExecuteAsync("ANALYZE job_dispatch");
            await ExecuteAsync(
                "INSERT INTO jobs (id, task_id, seq, type, input, status) SELECT gen_random_uuid(), @task, s, 'echo', 'x', 'queued' FROM generate_series(1, @n) s",
                ("task", backlogTask), ("n", Backlog));
            await ExecuteAsync("INSERT INTO job_dispatch SELECT id, now() FROM jobs WHERE task_id = @task AND seq > 0", ("task", backlogTask));
            var ids = new List<Guid>();
            await using (var read = DataSource.CreateCommand($"SELECT id FROM jobs WHERE task_id = '{backlogTask}' AND seq > 0 ORDER BY seq DESC LIMIT 5"))
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    ids.Add(reader.GetGuid(0));
                }
            }

            var pages = await PagesTouchedAsync(
            [
                new(StoreSql.KeyLookupsOnly),
                new("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"),
                new(StoreSql.DeleteDispatchRows) { Parameters = { new Npgsql.NpgsqlParameter<Guid[]>("ids", [.. ids]) } },
            ]);
            Assert.True(pages < 50, $"deleting 5 dispatch rows touched {pages} pages with {Backlog:N0} queued");
        }
        finally
        {
            await Tasks.CancelAsync(backlogTask, owner: null, CancellationToken.None);   // the class shares one database: leave no queued job
            await ExecuteAsync("ALTER TABLE job_dispatch RESET (autovacuum_enabled)");
        }
    }

    /// <summary>
    /// Shared buffers (pages) the last statement's execution touched, hit or read, from EXPLAIN ANALYZE, run in one batch
    /// after the statements before it as the repository sends them.
    /// </summary>
    private async Task<long> PagesTouchedAsync(Npgsql.NpgsqlBatchCommand[] statements)
    {
        await using var batch = DataSource.CreateBatch();
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }

        var last = batch.BatchCommands[^1];
        last.CommandText = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + last.CommandText;
        await using var reader = await batch.ExecuteReaderAsync();
        while (reader.FieldCount == 0 || reader.GetName(0) != "QUERY PLAN")
        {
            Assert.True(await reader.NextResultAsync(), "the batch returned no plan");
        }

        Assert.True(await reader.ReadAsync());
        var plan = JsonDocument.Parse(reader.GetString(0));
        var root = plan.RootElement[0].GetProperty("Plan");
        return root.GetProperty("Shared Hit Blocks").GetInt64() + root.GetProperty("Shared Read Blocks").GetInt64();
    }
}
