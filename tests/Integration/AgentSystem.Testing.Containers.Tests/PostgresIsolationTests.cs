using AgentSystem.Testing.Containers.Fixtures;
using Npgsql;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Two test classes' databases are distinct copies of the template, and go away with their fixtures.</summary>
public sealed class PostgresIsolationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_fixtures_get_distinct_databases_from_one_template()
    {
        var first = new MigratedDatabaseFixture();
        var second = new MigratedDatabaseFixture();
        await first.InitializeAsync();
        await second.InitializeAsync();
        try
        {
            Assert.NotEqual(first.DatabaseName, second.DatabaseName);
            Assert.Same(first.Server, second.Server);
            await Execute(first, "INSERT INTO items (owner) VALUES ('first')");

            Assert.Equal(["first", "seed"], await Owners(first));
            Assert.Equal(["seed"], await Owners(second));
            Assert.Equal(1, MigratedDatabaseFixture.TemplateRuns);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }

        await using var admin = new NpgsqlConnection(first.Server.GetConnectionString());
        await admin.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname LIKE 'test_%'", admin);
        output.WriteLine($"test databases still open (other classes): {await exists.ExecuteScalarAsync()}");
        output.WriteLine($"shared PostgreSQL: {first.Server.Name} ({first.Server.Image.FullName})");
    }

    internal static async Task Execute(PostgresDatabaseFixture fixture, string sql)
    {
        await using var connection = await fixture.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task<List<string>> Owners(PostgresDatabaseFixture fixture)
    {
        await using var connection = await fixture.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT owner FROM items ORDER BY owner", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var owners = new List<string>();
        while (await reader.ReadAsync())
        {
            owners.Add(reader.GetString(0));
        }

        return owners;
    }
}

/// <summary>One of two classes that run in parallel on the same table name: each sees only its own rows.</summary>
public sealed class PostgresClassOneTests(MigratedDatabaseFixture fixture, ITestOutputHelper output) : IClassFixture<MigratedDatabaseFixture>
{
    [Fact]
    public async Task Sees_the_seed_and_its_own_rows_only()
    {
        await PostgresIsolationTests.Execute(fixture, "INSERT INTO items (owner) VALUES ('one'), ('one')");

        Assert.Equal(["one", "one", "seed"], await PostgresIsolationTests.Owners(fixture));
        output.WriteLine($"{fixture.DatabaseName} in {fixture.Server.Name}");
    }
}

/// <summary>The other class of the pair.</summary>
public sealed class PostgresClassTwoTests(MigratedDatabaseFixture fixture, ITestOutputHelper output) : IClassFixture<MigratedDatabaseFixture>
{
    [Fact]
    public async Task Sees_the_seed_and_its_own_rows_only()
    {
        await PostgresIsolationTests.Execute(fixture, "INSERT INTO items (owner) VALUES ('two')");

        Assert.Equal(["seed", "two"], await PostgresIsolationTests.Owners(fixture));
        output.WriteLine($"{fixture.DatabaseName} in {fixture.Server.Name}");
    }
}

/// <summary>The base fixture without an initializer: an empty database from the default template.</summary>
public sealed class PostgresPlainFixtureTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Gets_an_empty_database_of_its_own()
    {
        await using var connection = await fixture.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT current_database(), (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        Assert.Equal(fixture.DatabaseName, reader.GetString(0));
        Assert.StartsWith("test_", fixture.DatabaseName, StringComparison.Ordinal);
        Assert.Equal(0, reader.GetInt64(1));
    }
}
