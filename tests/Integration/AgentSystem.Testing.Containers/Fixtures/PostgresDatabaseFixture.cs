using System.Collections.Concurrent;
using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>
/// A fresh database for one test class (IClassFixture), copied from a template database in the shared PostgreSQL, and
/// dropped after the class. Classes run in parallel without seeing each other's rows.
/// <para>
/// To run migrations once per test process, derive a fixture and override <see cref="InitializeTemplateAsync"/>: it
/// runs once, on the template, and every database of that fixture type starts as a copy of its result.
/// </para>
/// </summary>
public class PostgresDatabaseFixture : IAsyncLifetime
{
    public const string DefaultTemplateName = "agentsystem_template";

    private const int MaxIdentifierLength = 63;
    private const string DatabaseNamePrefix = "test_";
    private const string ObjectInUse = "55006";
    private const int CreateAttempts = 5;

    // One template per (container, template name): made once, whichever fixture asks first.
    private static readonly ConcurrentDictionary<string, Lazy<Task>> Templates = new(StringComparer.Ordinal);

    private PostgreSqlContainer? _server;
    private string? _databaseName;

    public PostgreSqlContainer Server => _server ?? throw NotInitialized();

    /// <summary>This class's own database.</summary>
    public string DatabaseName => _databaseName ?? throw NotInitialized();

    /// <summary>Npgsql connection string to this class's database.</summary>
    public string ConnectionString => ConnectionStringFor(Server, DatabaseName);

    /// <summary>The template this fixture's databases are copied from; one per derived fixture type by default.</summary>
    protected virtual string TemplateName =>
        GetType() == typeof(PostgresDatabaseFixture) ? DefaultTemplateName : Identifier(GetType().Name + "_template");

    public async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task InitializeAsync()
    {
        var shared = await SharedContainers.GetPostgresAsync().ConfigureAwait(false);
        var template = TemplateName;
        await Templates.GetOrAdd($"{shared.Id}/{template}", _ => new Lazy<Task>(() => CreateTemplateAsync(shared, template))).Value.ConfigureAwait(false);

        var name = Identifier(DatabaseNamePrefix + Guid.NewGuid().ToString("N"));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync(shared, $"CREATE DATABASE {Quote(name)} TEMPLATE {Quote(template)}").ConfigureAwait(false);
                break;
            }
            catch (PostgresException ex) when (ex.SqlState == ObjectInUse && attempt < CreateAttempts)
            {
                // Someone is still connected to the template (a slow initializer's pool): wait a moment and retry.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)).ConfigureAwait(false);
            }
        }

        _server = shared;
        _databaseName = name;
    }

    public async Task DisposeAsync()
    {
        if (_server is null || _databaseName is null)
        {
            return;
        }

        // Pooled connections to a dropped database would fail later users of the same pool.
        using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await ExecuteAsync(_server, $"DROP DATABASE IF EXISTS {Quote(_databaseName)} WITH (FORCE)").ConfigureAwait(false);
        _databaseName = null;
    }

    /// <summary>
    /// Runs once per test process on the template database, before any copy is made (e.g. migrations, seed data).
    /// The connection string has pooling off, so nothing stays connected to the template.
    /// </summary>
    protected virtual Task InitializeTemplateAsync(string connectionString, CancellationToken cancellationToken) => Task.CompletedTask;

    private static string Identifier(string name)
    {
        var cleaned = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return cleaned.Length <= MaxIdentifierLength ? cleaned : cleaned[..MaxIdentifierLength];
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static InvalidOperationException NotInitialized() =>
        new("The fixture is not initialized: use it through IClassFixture<T> (xunit calls InitializeAsync), or call InitializeAsync first.");

    /// <summary>The container's connection string with another database.</summary>
    public static string ConnectionStringFor(PostgreSqlContainer container, string database)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Database = database }.ConnectionString;
    }

    private static async Task ExecuteAsync(PostgreSqlContainer target, string sql)
    {
        var connection = new NpgsqlConnection(target.GetConnectionString());
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            var command = new NpgsqlCommand(sql, connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task CreateTemplateAsync(PostgreSqlContainer target, string template)
    {
        await ExecuteAsync(target, $"CREATE DATABASE {Quote(template)}").ConfigureAwait(false);
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionStringFor(target, template))
        {
            Pooling = false,
            ApplicationName = "agentsystem-template-init",
        }.ConnectionString;
        try
        {
            await InitializeTemplateAsync(connectionString, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await ExecuteAsync(target, $"DROP DATABASE IF EXISTS {Quote(template)} WITH (FORCE)").ConfigureAwait(false);
            throw;
        }

        // Copies need the template to themselves: end any session an initializer left, then refuse new ones.
        await ExecuteAsync(target, $"ALTER DATABASE {Quote(template)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").ConfigureAwait(false);
        await ExecuteAsync(
            target,
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{template.Replace("'", "''", StringComparison.Ordinal)}' AND pid <> pg_backend_pid()")
            .ConfigureAwait(false);
    }
}
