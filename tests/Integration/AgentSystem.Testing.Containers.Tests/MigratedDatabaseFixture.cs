using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>A derived fixture whose template gets a schema and a seed row once, as migrations would.</summary>
public sealed class MigratedDatabaseFixture : PostgresDatabaseFixture
{
    private static int _templateRuns;

    public static int TemplateRuns => Volatile.Read(ref _templateRuns);

    protected override async Task InitializeTemplateAsync(string connectionString, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _templateRuns);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "CREATE TABLE items (id serial PRIMARY KEY, owner text NOT NULL); INSERT INTO items (owner) VALUES ('seed');", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
