using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>A database of its own per test class, copied from a template the real migrator brought up to date once per run.</summary>
public sealed class MigratedStoreFixture : PostgresDatabaseFixture
{
    protected override async Task InitializeTemplateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(dataSource).MigrateAsync(cancellationToken);
    }
}

/// <summary>A test class's data source and repositories on its migrated database.</summary>
public abstract class StoreTestBase(MigratedStoreFixture database) : IClassFixture<MigratedStoreFixture>, IAsyncLifetime
{
    protected MigratedStoreFixture Database { get; } = database;

    protected NpgsqlDataSource DataSource { get; private set; } = null!;

    protected TaskRepository Tasks { get; private set; } = null!;

    protected JobRepository Jobs { get; private set; } = null!;

    public Task InitializeAsync()
    {
        DataSource = NpgsqlDataSource.Create(Database.ConnectionString);
        Tasks = new TaskRepository(DataSource);
        Jobs = new JobRepository(DataSource);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await DataSource.DisposeAsync();

    protected static NewTask NewTask(int jobs = 2, string? key = null, string? goal = null, string? traceParent = null, string? client = null, string? owner = null) =>
        new(goal, [.. Enumerable.Range(0, jobs).Select(i => new NewJob(i % 2 == 0 ? "echo" : "wordcount", $"input {i}"))], key, traceParent, client, owner);

    /// <summary>One job's start through the batched write: true when it is to run.</summary>
    protected static async Task<bool> StartAsync(JobRepository jobs, Guid job, int attempt) =>
        (await jobs.StartAsync([new JobAttempt(job, attempt, TimeSpan.Zero)], CancellationToken.None)).Contains(job);

    /// <summary>One job's result through the batched write: true when recorded.</summary>
    protected static async Task<bool> CompleteAsync(JobRepository jobs, Guid job, string result) =>
        (await jobs.CompleteAsync([new JobResult(job, result, 1, TimeSpan.Zero)], CancellationToken.None)).Contains(job);

    protected async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = WithParameters(DataSource.CreateCommand(sql), parameters);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    protected async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = WithParameters(DataSource.CreateCommand(sql), parameters);
        await command.ExecuteNonQueryAsync();
    }

    protected static NpgsqlCommand WithParameters(NpgsqlCommand command, (string Name, object Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
