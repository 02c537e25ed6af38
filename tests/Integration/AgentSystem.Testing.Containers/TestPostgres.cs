using Microsoft.Extensions.Logging.Abstractions;
using Testcontainers.PostgreSql;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// PostgreSQL for tests on Testcontainers' module: the image from the catalog (<see cref="TestImages"/>), durability off
/// (the module passes fsync, full_page_writes and synchronous_commit off), the data on tmpfs, the port on loopback.
/// </summary>
public static class TestPostgres
{
    /// <summary>
    /// A memory file system for the data: initdb and the init server's stop are most of a start, and take half as long
    /// on tmpfs. Docker makes it mode 1777, so the image's own user creates PGDATA inside, whatever its uid.
    /// </summary>
    public const string DataMount = "/var/lib/postgresql/tmpfs";

    public const string DataDirectory = DataMount + "/data";

    /// <summary>The module's own wait, named in a start failure.</summary>
    public const string Wait = "pg_isready --host localhost (the server accepting connections over TCP, after its init scripts)";

    public static PostgreSqlBuilder Builder() =>
        new PostgreSqlBuilder(TestImages.Postgres)
            .WithTmpfsMount(DataMount)
            .WithEnvironment("PGDATA", DataDirectory)
            .WithCreateParameterModifier(Loopback.Bind)
            .WithLogger(NullLogger.Instance);

    public static Task<PostgreSqlContainer> StartAsync(PostgreSqlBuilder builder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return ContainerStart.StartAsync(builder.Build(), Wait, cancellationToken);
    }
}
