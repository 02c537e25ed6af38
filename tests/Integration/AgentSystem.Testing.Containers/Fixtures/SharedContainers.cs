using Testcontainers.PostgreSql;
using Testcontainers.Redis;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>
/// One PostgreSQL and one Redis per test process, started on first use (xunit 2 has no assembly fixtures). Test
/// classes get isolation inside them (a database each, a Redis database index each) instead of a container each:
/// a container start costs a second or more, a database from a template a few milliseconds. Nobody disposes them:
/// the resource reaper removes them, with everything else of the session, once the test process has gone.
/// </summary>
public static class SharedContainers
{
    // The start is shared, so no single caller's token cancels it; a failure is kept and reported to every caller.
    private static readonly Lazy<Task<PostgreSqlContainer>> Postgres = new(
        () => TestPostgres.StartAsync(TestPostgres.Builder()), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<Task<RedisContainer>> Redis = new(
        () => TestRedis.StartAsync(TestRedis.Builder()), LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<PostgreSqlContainer> GetPostgresAsync(CancellationToken cancellationToken = default) =>
        Postgres.Value.WaitAsync(cancellationToken);

    public static Task<RedisContainer> GetRedisAsync(CancellationToken cancellationToken = default) =>
        Redis.Value.WaitAsync(cancellationToken);
}
