using Microsoft.Extensions.Logging.Abstractions;
using Testcontainers.PostgreSql;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// PostgreSQL for tests on Testcontainers' module: the image from the catalog (<see cref="TestImages"/>), durability off
/// (the module passes fsync, full_page_writes and synchronous_commit off), the data directory the image initialised
/// when it was built, the port on loopback.
/// </summary>
public static class TestPostgres
{
    /// <summary>
    /// The cluster build/images/postgres initialises at build time (its PGDATA_INITIALISED), used in place: a start runs
    /// no initdb and copies nothing, and only the files PostgreSQL writes are copied up into the container's layer.
    /// Copying it to tmpfs cost more than tmpfs saved (with fsync off, writes land in the page cache either way). An
    /// image without it (the official one) initialises this empty directory as usual.
    /// </summary>
    public const string DataDirectory = "/var/lib/postgresql/initialised";

    private const string TmpfsMount = "/var/lib/postgresql/tmpfs";

    /// <summary>What the wait (<see cref="PostgresPing"/>) checks, named in a start failure.</summary>
    public const string Wait = "the server answering a startup packet on the published port (as pg_isready checks)";

    public static PostgreSqlBuilder Builder() =>
        new PostgreSqlBuilder(TestImages.Postgres)
            .WithEnvironment("PGDATA", DataDirectory)
            .WithWaitStrategy(DotNet.Testcontainers.Builders.Wait.ForUnixContainer().AddCustomWaitStrategy(new PostgresPing()))
            .WithCreateParameterModifier(Loopback.Bind)
            .WithLogger(NullLogger.Instance)
            .WithSessionCleanUp();

    /// <summary>
    /// For runs with fsync on (the load tests): the data on a memory file system, so an fsync costs the server's work
    /// and not the machine's disk. Our image copies its initialised cluster there; Docker makes the mount mode 1777.
    /// </summary>
    public static PostgreSqlBuilder OnTmpfs(this PostgreSqlBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithTmpfsMount(TmpfsMount).WithEnvironment("PGDATA", TmpfsMount + "/data");
    }

    public static Task<PostgreSqlContainer> StartAsync(PostgreSqlBuilder builder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return ContainerStart.StartAsync(builder.Build(), Wait, cancellationToken);
    }
}
