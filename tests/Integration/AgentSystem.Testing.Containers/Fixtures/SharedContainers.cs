using AgentSystem.Testing.Containers.Modules;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>
/// One PostgreSQL and one Redis per test process, started on first use (xunit 2 has no assembly fixtures). Test
/// classes get isolation inside them (a database each, a Redis database index each) instead of a container each:
/// a container start costs a second or more, a database from a template a few milliseconds. They are removed at
/// process exit with everything else of the session, or swept by the next run if the process is killed.
/// </summary>
public static class SharedContainers
{
    public const string PostgresNamePrefix = ContainerDefaults.NamePrefix + "-shared-postgres";
    public const string RedisNamePrefix = ContainerDefaults.NamePrefix + "-shared-redis";

    // The start is shared, so no single caller's token cancels it; a failure is kept and reported to every caller.
    private static readonly Lazy<Task<PostgresContainer>> Postgres = new(
        () => new PostgresBuilder().Configure(builder => builder.WithNamePrefix(PostgresNamePrefix)).StartAsync(),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<Task<RedisContainer>> Redis = new(
        () => new RedisBuilder().Configure(builder => builder.WithNamePrefix(RedisNamePrefix)).StartAsync(),
        LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<PostgresContainer> GetPostgresAsync(CancellationToken cancellationToken = default) =>
        Postgres.Value.WaitAsync(cancellationToken);

    public static Task<RedisContainer> GetRedisAsync(CancellationToken cancellationToken = default) =>
        Redis.Value.WaitAsync(cancellationToken);
}
