using AgentSystem.Contracts;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>
/// A new database filling up under load: the statements' cached plans are made while the tables are tiny, and the
/// tables then grow tenfold before autovacuum analyzes them again. The writes must still find their rows by key.
/// A class of its own, so that the tables start empty.
/// </summary>
public sealed class StalePlanTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task Task_inserts_and_result_writes_scan_no_table_whose_cached_plans_saw_it_tiny()
    {
        // The services' data source (auto-prepare on) with one connection: its prepared statements and its foreign key
        // checks' plans are the ones reused, and its scans are counted. The setup has a connection of its own, whose
        // statistics are flushed before counting, so that none of its scans arrive while the writes are counted.
        await using var oneConnection = StoreDataSource.Create(new StoreConnectionOptions { ConnectionString = Database.ConnectionString, MaxPoolSize = 1 });
        // The setup's 20,000 rows took 1 to 5 s on a busy machine and once over Npgsql's default 30 s; they are not measured.
        await using var setup = NpgsqlDataSource.Create(Database.ConnectionString + ";Maximum Pool Size=1;Command Timeout=300");
        var (tasks, jobs) = (new TaskRepository(oneConnection), new JobRepository(oneConnection));
        await RunAsync(setup, "ALTER TABLE tasks SET (autovacuum_enabled = false)");
        await RunAsync(setup, "ALTER TABLE jobs SET (autovacuum_enabled = false)");
        await AddFinishedTasksAsync(setup, 20);
        await RunAsync(setup, "ANALYZE tasks");
        await RunAsync(setup, "ANALYZE jobs");

        // Npgsql prepares a statement at its fifth use, and PostgreSQL plans it afresh five times more before it keeps a plan.
        await CreateAndCompleteAsync(tasks, jobs, rounds: 12);
        await AddFinishedTasksAsync(setup, 20_000);
        await RunAsync(setup, "SELECT pg_stat_force_next_flush()");
        var before = await SequentialScansAsync(oneConnection);

        var measured = await CreateAndCompleteAsync(tasks, jobs, rounds: 4);

        Assert.Equal(before, await SequentialScansAsync(oneConnection));
        Assert.Equal(40L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE id = ANY(@ids) AND status = 'succeeded'", ("ids", measured)));
    }

    private static async Task RunAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AddFinishedTasksAsync(NpgsqlDataSource dataSource, int count)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH t AS (INSERT INTO tasks (id, status) SELECT gen_random_uuid(), 'succeeded' FROM generate_series(1, $1) RETURNING id)
            INSERT INTO jobs (id, task_id, seq, type, input, status, result) SELECT gen_random_uuid(), id, 0, 'echo', 'x', 'succeeded', 'x' FROM t
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Rounds of ten tasks of five jobs created together and their fifty results stored in one batch, as under load.</summary>
    private static async Task<Guid[]> CreateAndCompleteAsync(TaskRepository tasks, JobRepository jobs, int rounds)
    {
        var ids = new List<Guid>();
        for (var round = 0; round < rounds; round++)
        {
            var created = await tasks.CreateManyAsync([.. Enumerable.Range(0, 10).Select(_ => NewTask(jobs: 5))], CancellationToken.None);
            var results = created.SelectMany(task => task.Task.Jobs).Select(job => new JobResult(job.Id, "done", 1, TimeSpan.Zero)).ToList();
            Assert.Equal(50, (await jobs.CompleteAsync(results, CancellationToken.None)).Count);
            ids.AddRange(created.Select(task => task.Task.Id));
        }

        return [.. ids];
    }

    /// <summary>Sequential scans of tasks and jobs so far, this connection's counted (it flushes its statistics first).</summary>
    private static async Task<(long Tasks, long Jobs, long Dispatch)> SequentialScansAsync(NpgsqlDataSource oneConnection)
    {
        await using (var flush = oneConnection.CreateCommand("SELECT pg_stat_force_next_flush()"))
        {
            await flush.ExecuteNonQueryAsync();
        }

        await using var read = oneConnection.CreateCommand(
            """
            SELECT sum(seq_scan) FILTER (WHERE relname = 'tasks'), sum(seq_scan) FILTER (WHERE relname = 'jobs'),
                   sum(seq_scan) FILTER (WHERE relname = 'job_dispatch')
            FROM pg_stat_user_tables
            """);
        await using var reader = await read.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
