using Npgsql;

namespace AgentSystem.Testing.Containers.Modules;

/// <summary>A started PostgreSQL: connection strings for the host, the container underneath for logs and exec.</summary>
public sealed class PostgresContainer : IAsyncDisposable
{
    internal PostgresContainer(DockerContainer container, string username, string password, string database)
    {
        Container = container;
        Username = username;
        Password = password;
        Database = database;
    }

    public DockerContainer Container { get; }

    public string Username { get; }

    public string Password { get; }

    public string Database { get; }

    public string Host => Container.Host;

    public int Port => Container.GetMappedPort(PostgresBuilder.PostgresPort);

    /// <summary>Npgsql connection string to the default database.</summary>
    public string ConnectionString => GetConnectionString(Database);

    public string GetConnectionString(string database) => ConnectionStringFor(Container, Username, Password, database);

    public ValueTask DisposeAsync() => Container.DisposeAsync();

    internal static string ConnectionStringFor(DockerContainer container, string username, string password, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = container.Host,
            Port = container.GetMappedPort(PostgresBuilder.PostgresPort),
            Username = username,
            Password = password,
            Database = database,
        }.ConnectionString;

    public override string ToString() => $"PostgreSQL {Container}";
}
