using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The migrator: from an empty database, again (nothing to do), from the previous version, failures, races.</summary>
public sealed class MigrationTests(ITestOutputHelper output)
{
    // This database's only: pg_locks is the whole server's, and the tests beside this one migrate databases of their own
    // on it (one CI run saw another's lock).
    private const string AdvisoryLockHeld =
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))";

    // After the shipped ones, whatever their number.
    private static readonly int NextVersion = Migration.Embedded.Max(m => m.Version) + 1;
    private static readonly Migration TestAddition = new(NextVersion, $"{NextVersion:D4}_test_task_note", "ALTER TABLE tasks ADD COLUMN note text NULL;");

    [Fact]
    public async Task From_an_empty_database_it_applies_every_migration_and_a_second_run_does_nothing()
    {
        await using var database = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.Fixture.ConnectionString);
        var migrator = new DatabaseMigrator(dataSource);

        var applied = await migrator.MigrateAsync(CancellationToken.None);
        var again = await migrator.MigrateAsync(CancellationToken.None);

        Assert.Equal(Migration.Embedded.Select(m => m.Name), applied);
        Assert.Equal("0001_initial", applied[0]);
        Assert.Empty(again);
        Assert.Equal(Migration.Embedded.Select(m => m.Version), await ListAsync<int>(dataSource, "SELECT version FROM schema_migrations ORDER BY version"));
        var indexes = await ListAsync<string>(dataSource, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname");
        output.WriteLine($"indexes: {string.Join(", ", indexes)}");
        Assert.Contains("job_dispatch_due_idx", indexes);
        Assert.DoesNotContain("jobs_queued_enqueued_at_idx", indexes);
        Assert.Contains("jobs_task_id_seq_key", indexes);
        Assert.Contains("tasks_created_at_idx", indexes);
        Assert.Contains("tasks_owner_created_at_idx", indexes);
        Assert.Contains("tasks_owner_status_created_at_idx", indexes);
        Assert.Contains("tasks_owner_idempotency_key_key", indexes);
        Assert.DoesNotContain("tasks_status_created_at_idx", indexes);
        Assert.DoesNotContain("tasks_idempotency_key_key", indexes);
        Assert.Equal("{fillfactor=60}", await ScalarAsync<string>(dataSource, "SELECT reloptions::text FROM pg_class WHERE relname = 'jobs'"));

        // A result's UPDATE can be HOT (new index entries none, the new version on the same page) only while no index
        // of jobs has a column the result changes, among its keys, in an expression or in its predicate.
        Assert.Equal(["id", "seq", "task_id"], await ListAsync<string>(dataSource, """
            SELECT DISTINCT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = 'jobs'::regclass ORDER BY 1
            """));
        Assert.Equal(0L, await ScalarAsync<long>(
            dataSource, "SELECT count(*) FROM pg_index WHERE indrelid = 'jobs'::regclass AND (indpred IS NOT NULL OR indexprs IS NOT NULL)"));
    }

    [Fact]
    public async Task From_the_previous_version_it_applies_only_the_newer_migrations_and_keeps_the_data()
    {
        await using var database = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.Fixture.ConnectionString);
        var previous = Migration.Embedded.Where(m => m.Version == 1).ToList();
        Assert.Equal(["0001_initial"], await new DatabaseMigrator(dataSource, previous).MigrateAsync(CancellationToken.None));
        // Written as version 1 wrote them: a job never sent, one sent a minute ago, one sent and succeeded.
        var (task, unsent, stale, done) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await ScalarAsync<int>(dataSource, $"""
            WITH t AS (INSERT INTO tasks (id, status, goal, idempotency_key) VALUES ('{task}', 'queued', 'kept', 'order-1'))
            INSERT INTO jobs (id, task_id, seq, type, input, status, enqueued_at) VALUES
                ('{unsent}', '{task}', 0, 'echo', 'x', 'queued', NULL),
                ('{stale}', '{task}', 1, 'echo', 'x', 'queued', now() - interval '1 minute'),
                ('{done}', '{task}', 2, 'echo', 'x', 'succeeded', now())
            RETURNING 1
            """);

        var applied = await new DatabaseMigrator(dataSource, [.. Migration.Embedded, TestAddition]).MigrateAsync(CancellationToken.None);

        Assert.Equal([.. Migration.Embedded.Skip(1).Select(m => m.Name), TestAddition.Name], applied);
        var tasks = new TaskRepository(dataSource);
        Assert.Equal("kept", (await tasks.GetAsync(task, owner: null, CancellationToken.None))!.Goal);
        // The dispatcher's view came along: the unsent job first, the stale one, and not the finished one.
        Assert.Equal([unsent, stale], (await tasks.FindUndispatchedAsync(TimeSpan.FromSeconds(30), 10, CancellationToken.None)).Select(m => m.JobId));
        Assert.Equal([unsent], (await tasks.FindUndispatchedAsync(TimeSpan.FromMinutes(5), 10, CancellationToken.None)).Select(m => m.JobId));
        Assert.All(await tasks.FindUndispatchedAsync(TimeSpan.Zero, 10, CancellationToken.None), m => Assert.Null(m.Client));   // stored before 0005
        Assert.Equal(1L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tasks' AND column_name = 'note'"));

        // Stored before 0006: no key's, seen only from inside the cluster, its Idempotency-Key still the unowned one's.
        Assert.Null(await tasks.GetAsync(task, "key-0", CancellationToken.None));
        Assert.Empty((await tasks.ListAsync(null, "key-0", 1, 10, CancellationToken.None)).Items);
        var again = await tasks.CreateManyAsync(
            [new NewTask(null, [new NewJob("echo", "x")], "order-1", null, null), new NewTask(null, [new NewJob("echo", "x")], "order-1", null, null, "key-0")],
            CancellationToken.None);
        Assert.Equal([(task, false), (again[1].Task.Id, true)], again.Select(c => (c.Task.Id, c.Created)));
        Assert.NotEqual(task, again[1].Task.Id);
    }

    [Fact]
    public async Task A_failing_migration_leaves_nothing_of_itself_and_says_which_it_was()
    {
        await using var database = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.Fixture.ConnectionString);
        var broken = new Migration(NextVersion + 1, $"{NextVersion + 1:D4}_test_broken", "ALTER TABLE jobs ADD COLUMN half_done int; SELECT 1 / 0;");

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new DatabaseMigrator(dataSource, [.. Migration.Embedded, TestAddition, broken]).MigrateAsync(CancellationToken.None));

        Assert.Contains(broken.Name, exception.Message, StringComparison.Ordinal);
        Assert.Equal(TestAddition.Version, await ScalarAsync<int>(dataSource, "SELECT max(version) FROM schema_migrations"));   // the good ones stay
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'half_done'"));
        Assert.False(await ScalarAsync<bool>(dataSource, AdvisoryLockHeld), "the lock was released");
    }

    [Fact]
    public async Task A_migration_that_waits_too_long_for_a_lock_leaves_nothing_and_says_to_start_again()
    {
        await using var database = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.Fixture.ConnectionString);
        await new DatabaseMigrator(dataSource).MigrateAsync(CancellationToken.None);
        // As 0005 does, with a shorter wait: a reader's open transaction holds what ALTER TABLE needs.
        var blocked = new Migration(NextVersion, $"{NextVersion:D4}_test_locked", "SET LOCAL lock_timeout = '200ms'; ALTER TABLE tasks ADD COLUMN note text NULL;");
        await using var reader = await dataSource.OpenConnectionAsync();
        await using var reading = await reader.BeginTransactionAsync();
        await using (var select = new NpgsqlCommand("SELECT count(*) FROM tasks", reader, reading))
        {
            await select.ExecuteScalarAsync();
        }

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new DatabaseMigrator(dataSource, [.. Migration.Embedded, blocked]).MigrateAsync(CancellationToken.None));

        Assert.Contains($"Migration {blocked.Name} waited too long for a lock another session holds", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Start it again", exception.Message, StringComparison.Ordinal);
        await reading.RollbackAsync();
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tasks' AND column_name = 'note'"));
    }

    [Fact]
    public async Task The_migrators_session_ends_with_it_so_the_pool_never_hands_out_its_lock_or_settings()
    {
        await using var database = await EmptyDatabaseAsync();
        // One connection: were the migrator's returned to the pool unreset (StoreDataSource.ResetOnClose), the next open would get it.
        await using var dataSource = StoreDataSource.Create(new StoreConnectionOptions { ConnectionString = database.Fixture.ConnectionString, MaxPoolSize = 1 });
        var setting = new Migration(NextVersion, $"{NextVersion:D4}_test_session_setting", "SET statement_timeout = '4321ms';");

        await new DatabaseMigrator(dataSource, [.. Migration.Embedded, setting]).MigrateAsync(CancellationToken.None);

        Assert.NotEqual("4321ms", await ScalarAsync<string>(dataSource, "SHOW statement_timeout"));
        Assert.False(await ScalarAsync<bool>(dataSource, AdvisoryLockHeld), "the lock was released");
    }

    [Fact]
    public async Task Migrators_starting_together_take_turns_and_apply_each_migration_once()
    {
        await using var database = await EmptyDatabaseAsync();
        var dataSources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(database.Fixture.ConnectionString)).ToList();
        try
        {
            var results = await Task.WhenAll(dataSources.Select(d => new DatabaseMigrator(d).MigrateAsync(CancellationToken.None)));

            Assert.Equal(Migration.Embedded.Select(m => m.Name), results.SelectMany(r => r).Order(StringComparer.Ordinal));
            Assert.Equal(3, results.Count(r => r.Count == 0));
            Assert.Equal((long)Migration.Embedded.Count, await ScalarAsync<long>(dataSources[0], "SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    private static async Task<EmptyDatabase> EmptyDatabaseAsync()
    {
        var fixture = new PostgresDatabaseFixture();
        await fixture.InitializeAsync();
        return new EmptyDatabase(fixture);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private sealed record EmptyDatabase(PostgresDatabaseFixture Fixture) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }
}
