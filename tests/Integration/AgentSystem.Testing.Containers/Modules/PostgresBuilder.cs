using System.Globalization;
using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Waits;
using Npgsql;

namespace AgentSystem.Testing.Containers.Modules;

/// <summary>
/// A throwaway PostgreSQL: durability switched off (tests never survive a crash, and fsync is most of a write's cost),
/// ready only when `pg_isready -h localhost` answers (so init scripts have run: the image's init server listens on
/// the socket only) and a real connection from the host runs SELECT 1. A port check from the host comes first: it
/// costs a millisecond where each exec costs 50-400 ms of a busy machine's CPU, which initdb needs more.
/// </summary>
public sealed class PostgresBuilder
{
    public const int PostgresPort = 5432;
    public const string DefaultUsername = "postgres";
    public const string DefaultPassword = "postgres";
    public const string DefaultDatabase = "postgres";
    public const string NamePrefix = ContainerDefaults.NamePrefix + "-postgres";

    /// <summary>
    /// A memory file system for the data directory: initdb and the init server's stop are most of a start, and on
    /// tmpfs they take half as long (measured: 1.5 s instead of 3.1 s on a busy 2-core machine). Mode 1777 lets the
    /// image's own user create PGDATA inside, whatever its uid (the official images differ).
    /// </summary>
    public const string InMemoryDataMount = "/var/lib/postgresql/tmpfs";

    public const string InMemoryDataDirectory = InMemoryDataMount + "/data";

    /// <summary>Settings a test database wants: no fsync, no synchronous commit, no full-page writes (as Testcontainers).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> TestSettings =
    [
        new("fsync", "off"),
        new("synchronous_commit", "off"),
        new("full_page_writes", "off"),
    ];

    // Replayed on a fresh ContainerBuilder per start, after the module's defaults, so a builder can start twice.
    private readonly List<Action<ContainerBuilder>> customizations = [];
    private readonly List<KeyValuePair<string, string>> settings = [.. TestSettings];
    private string username = DefaultUsername;
    private string password = DefaultPassword;
    private string database = DefaultDatabase;
    private bool dataInMemory = true;

    public PostgresBuilder WithImage(string image) => Configure(container => container.WithImage(image));

    public PostgresBuilder WithImage(LogicalImage image) => Configure(container => container.WithImage(image));

    public PostgresBuilder WithUsername(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        username = value;
        return this;
    }

    public PostgresBuilder WithPassword(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        password = value;
        return this;
    }

    public PostgresBuilder WithDatabase(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        database = value;
        return this;
    }

    /// <summary>Data on tmpfs (the default: faster, gone when the container stops) or in the container's own layer.</summary>
    public PostgresBuilder WithDataInMemory(bool inMemory = true)
    {
        dataInMemory = inMemory;
        return this;
    }

    /// <summary>A server setting passed as `-c name=value` (e.g. max_connections).</summary>
    public PostgresBuilder WithSetting(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        settings.RemoveAll(pair => pair.Key == name);
        settings.Add(new(name, value));
        return this;
    }

    /// <summary>Anything else (networks, labels, mounts, more waits, a longer timeout) on the underlying builder.</summary>
    public PostgresBuilder Configure(Action<ContainerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        customizations.Add(configure);
        return this;
    }

    public async Task<PostgresContainer> StartAsync(CancellationToken cancellationToken = default)
    {
        var (user, secret, name) = (username, password, database);
        var container = new ContainerBuilder(KnownImages.Postgres)
            .WithNamePrefix(NamePrefix)
            .WithEnvironment("POSTGRES_USER", user)
            .WithEnvironment("POSTGRES_PASSWORD", secret)
            .WithEnvironment("POSTGRES_DB", name)
            .WithCommand(["postgres", .. settings.SelectMany(pair => new[] { "-c", $"{pair.Key}={pair.Value}" })])
            .WithPortBinding(PostgresPort)
            .WithWaitStrategy(Wait.ForPort(PostgresPort))
            .WithWaitStrategy(Wait.ForCommand(
                ["pg_isready", "-h", "localhost", "-p", PostgresPort.ToString(CultureInfo.InvariantCulture), "-U", user, "-d", name], null))
            .WithWaitStrategy(Wait.Until(
                "a connection from the host to run SELECT 1",
                (started, token) => CanQueryAsync(PostgresContainer.ConnectionStringFor(started, user, secret, name), token)));
        if (dataInMemory)
        {
            container.WithTmpfs(InMemoryDataMount, "rw,mode=1777").WithEnvironment("PGDATA", InMemoryDataDirectory);
        }

        foreach (var customize in customizations)
        {
            customize(container);
        }

        var started = await container.StartAsync(cancellationToken).ConfigureAwait(false);
        return new PostgresContainer(started, user, secret, name);
    }

    private static async Task<bool> CanQueryAsync(string connectionString, CancellationToken cancellationToken)
    {
        // No pooling: a probe connection must not linger in a pool (it would block CREATE DATABASE ... TEMPLATE).
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var command = new NpgsqlCommand("SELECT 1", connection);
            await using (command.ConfigureAwait(false))
            {
                return Equals(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), 1);
            }
        }
    }
}
