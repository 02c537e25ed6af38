using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The migrate command's service role (Migrate:ServiceRole): made, granted the tables and nothing more, kept current.</summary>
public sealed class ServiceRoleTests
{
    private const string InsufficientPrivilege = "42501";

    [Fact]
    public async Task Migrate_makes_a_role_that_reads_and_writes_the_tables_and_can_change_nothing_else()
    {
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        const string password = "it's; a \"password\", with = what needs quoting";
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, password));

            await using var service = NpgsqlDataSource.Create(As(database.ConnectionString, role, password));
            await ExecuteAsync(service, "INSERT INTO owner_storage (owner, bytes, quota) VALUES ('k', 1, 0)");
            await ExecuteAsync(service, "UPDATE owner_storage SET bytes = 2 WHERE owner = 'k'");
            await ExecuteAsync(service, "DELETE FROM owner_storage WHERE owner = 'k'");

            var schema = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(service, "CREATE TABLE intruder (id int)"));
            var alter = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(service, "ALTER TABLE tasks ADD COLUMN intruder int"));
            var program = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(service, "COPY (SELECT 1) TO PROGRAM 'true'"));
            Assert.Equal([InsufficientPrivilege, InsufficientPrivilege, InsufficientPrivilege], [schema.SqlState, alter.SqlState, program.SqlState]);
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task Migrating_again_sets_the_new_password_and_takes_back_powers_the_role_was_given()
    {
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "first"));
            await using (var owner = NpgsqlDataSource.Create(database.ConnectionString))
            {
                await ExecuteAsync(owner, $"ALTER ROLE {role} CREATEDB CREATEROLE");
            }

            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "second"));

            await using var old = NpgsqlDataSource.Create(As(database.ConnectionString, role, "first"));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(old, "SELECT 1"));
            Assert.Equal("28P01", refused.SqlState);   // invalid_password
            await using var current = NpgsqlDataSource.Create(As(database.ConnectionString, role, "second"));
            await using var powers = current.CreateCommand("SELECT rolcreatedb OR rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user");
            Assert.False((bool)(await powers.ExecuteScalarAsync())!);
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task The_owner_itself_or_a_role_without_a_password_is_refused_before_anything_changes()
    {
        await using var database = await NewDatabaseAsync();
        var owner = new NpgsqlConnectionStringBuilder(database.ConnectionString).Username!;

        Assert.Equal(MigrateCommand.DatabaseFailed, await MigrateAsync(database.ConnectionString, owner, "x"));
        Assert.Equal(MigrateCommand.ConfigurationInvalid, await MigrateAsync(database.ConnectionString, "svc_nopassword", ""));
        Assert.Equal(MigrateCommand.ConfigurationInvalid, await MigrateAsync(database.ConnectionString, "Robert'); DROP TABLE tasks;--", "x"));
    }

    private static Task<int> MigrateAsync(string connectionString, string role, string password) =>
        MigrateCommand.RunAsync(
            ["migrate", $"--ConnectionStrings:Postgres={connectionString}", $"--Migrate:ServiceRole={role}", $"--Migrate:ServicePassword={password}"],
            static builder => builder.AddStore());

    private static string As(string connectionString, string role, string password) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = password, Pooling = false }.ConnectionString;

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Roles are the server's, not the database's: each test drops its own.</summary>
    private static async Task DropAsync(Database database, string role)
    {
        await using var owner = NpgsqlDataSource.Create(database.ConnectionString);
        await ExecuteAsync(owner, $"DROP OWNED BY {role}; DROP ROLE {role}");
    }

    private static async Task<Database> NewDatabaseAsync()
    {
        var fixture = new PostgresDatabaseFixture();
        await fixture.InitializeAsync();
        return new Database(fixture);
    }

    private sealed class Database(PostgresDatabaseFixture fixture) : IAsyncDisposable
    {
        public string ConnectionString => fixture.ConnectionString;

        public async ValueTask DisposeAsync() => await fixture.DisposeAsync();
    }
}
