using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.DependencyInjection;
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
        const string password = "a password, with = & what a shell needs quoted: !#$%()*<>?[\\]^`{|}~";
        try
        {
            // Another service's table (chat's, made by its own migrator): this migrator's role is not granted it.
            await using (var asOwner = NpgsqlDataSource.Create(database.ConnectionString))
            {
                await ExecuteAsync(asOwner, "CREATE TABLE other_service (id int)");
            }

            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, password));

            await using var service = NpgsqlDataSource.Create(As(database.ConnectionString, role, password));
            await ExecuteAsync(service, "INSERT INTO owner_storage (owner, bytes, quota) VALUES ('k', 1, 0)");
            await ExecuteAsync(service, "UPDATE owner_storage SET bytes = 2 WHERE owner = 'k'");
            await ExecuteAsync(service, "DELETE FROM owner_storage WHERE owner = 'k'");

            await ExecuteAsync(service, "SELECT count(*) FROM schema_migrations");

            string[] refused =
            [
                "CREATE TABLE intruder (id int)",
                "ALTER TABLE tasks ADD COLUMN intruder int",
                "COPY (SELECT 1) TO PROGRAM 'true'",
                "TRUNCATE owner_storage",
                "SELECT * FROM other_service",
                // The migrations' record: a service that could rewrite it would make the next migrate skip or repeat one.
                "DELETE FROM schema_migrations",
                "INSERT INTO schema_migrations (version, name) VALUES (9999, 'forged')",
            ];
            foreach (var sql in refused)
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(service, sql));
                Assert.True(error.SqlState == InsufficientPrivilege, $"{sql}: {error.SqlState} {error.MessageText}");
            }
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task Migrating_again_sets_the_new_password_and_takes_back_powers_and_memberships_the_role_was_given()
    {
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        var owner = new NpgsqlConnectionStringBuilder(database.ConnectionString).Username!;
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "first"));
            await using (var asOwner = NpgsqlDataSource.Create(database.ConnectionString))
            {
                await ExecuteAsync(asOwner, $"ALTER ROLE {role} SUPERUSER CREATEDB CREATEROLE BYPASSRLS");
                await ExecuteAsync(asOwner, $"GRANT pg_execute_server_program, \"{owner}\" TO {role}");
                await ExecuteAsync(asOwner, $"CREATE ROLE {role}_member; GRANT {role} TO {role}_member");
                await ExecuteAsync(asOwner, $"GRANT TRUNCATE ON owner_storage, schema_migrations TO {role} WITH GRANT OPTION");
                await ExecuteAsync(asOwner, $"ALTER ROLE {role} SET statement_timeout = '1ms'");
            }

            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "second"));

            await using var old = NpgsqlDataSource.Create(As(database.ConnectionString, role, "first"));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(old, "SELECT 1"));
            Assert.Equal("28P01", refused.SqlState);   // invalid_password
            await using var current = NpgsqlDataSource.Create(As(database.ConnectionString, role, "second"));
            await using var powers = current.CreateCommand("""
                SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls,
                       (SELECT count(*) FROM pg_auth_members WHERE member = r.oid OR roleid = r.oid),
                       (SELECT count(*) FROM pg_db_role_setting WHERE setrole = r.oid),
                       has_table_privilege(r.rolname, 'owner_storage', 'TRUNCATE') OR has_table_privilege(r.rolname, 'schema_migrations', 'TRUNCATE')
                FROM pg_roles r WHERE rolname = current_user
                """);
            await using var row = await powers.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal((false, 0L, 0L, false), (row.GetBoolean(0), row.GetInt64(1), row.GetInt64(2), row.GetBoolean(3)));
            await row.DisposeAsync();
            var program = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(current, "COPY (SELECT 1) TO PROGRAM 'true'"));
            Assert.Equal(InsufficientPrivilege, program.SqlState);
        }
        finally
        {
            await using var asOwner = NpgsqlDataSource.Create(database.ConnectionString);
            await ExecuteAsync(asOwner, $"DROP ROLE IF EXISTS {role}_member");
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task An_owner_that_is_no_superuser_but_may_create_roles_migrates_again_and_again()
    {
        // A managed or hardened server's owner: CREATEROLE, not a superuser (naming NOSUPERUSER would need one).
        await using var database = await NewDatabaseAsync();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var (owner, name, role) = ("own_" + suffix, "db_" + suffix, "svc_" + suffix);
        await using var server = NpgsqlDataSource.Create(database.ConnectionString);
        await ExecuteAsync(server, $"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'owner-password'");
        await ExecuteAsync(server, $"CREATE DATABASE {name} OWNER {owner}");
        var asOwner = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = name, Username = owner, Password = "owner-password", Pooling = false }.ConnectionString;
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(asOwner, role, "first"));
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(asOwner, role, "second"));

            await using var service = NpgsqlDataSource.Create(As(asOwner, role, "second"));
            await ExecuteAsync(service, "SELECT count(*) FROM tasks");
        }
        finally
        {
            await ExecuteAsync(server, $"DROP DATABASE {name} WITH (FORCE)");
            await ExecuteAsync(server, $"DROP ROLE {role}; DROP ROLE {owner}");
        }
    }

    [Fact]
    public async Task What_the_role_made_for_itself_that_gives_it_nothing_does_not_block_the_next_migrate()
    {
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "first"));
            await using (var service = NpgsqlDataSource.Create(As(database.ConnectionString, role, "first")))
            {
                // A large object and default privileges of its own: objects it owns, but no way into ours.
                await ExecuteAsync(service, "SELECT lo_create(0)");
                await ExecuteAsync(service, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO public");
            }

            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "second"));
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task The_role_step_waits_for_another_migrator_of_the_database()
    {
        // The other service's migrator holds its lock while it migrates; a GRANT meanwhile could fail its ALTER TABLE.
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        await using var other = new NpgsqlConnection(database.ConnectionString);
        await other.OpenAsync();
        await using (var hold = new NpgsqlCommand($"SELECT pg_advisory_lock({DatabaseMigrator.ChatLockKey})", other))
        {
            await hold.ExecuteNonQueryAsync();
        }

        try
        {
            var migrate = MigrateAsync(database.ConnectionString, role, "first");
            var first = await Task.WhenAny(migrate, Task.Delay(TimeSpan.FromSeconds(3)));
            Assert.NotSame(migrate, first);

            await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({DatabaseMigrator.ChatLockKey})", other))
            {
                await release.ExecuteNonQueryAsync();
            }

            Assert.Equal(MigrateCommand.Succeeded, await migrate.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task The_other_services_migrate_does_not_take_over_a_role_this_one_made()
    {
        // helper-83: chat's job named the tasks' role by mistake would grant it chat's tables only, and the two jobs would
        // undo each other at every deploy.
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "tasks"));
            var other = await MigrateCommand.RunAsync(
                ["migrate", $"--ConnectionStrings:Postgres={database.ConnectionString}", $"--Migrate:ServiceRole={role}", "--Migrate:ServicePassword=other"],
                static builder =>
                {
                    builder.AddStore();
                    builder.Services.AddSingleton<IDatabaseMigrator>(services => new DatabaseMigrator(
                        services.GetRequiredService<NpgsqlDataSource>(), [new Migration(1, "0001_other", "CREATE TABLE other_service (id int)")],
                        "other_schema_migrations", DatabaseMigrator.ChatLockKey));
                });

            Assert.Equal(MigrateCommand.DatabaseFailed, other);
            await using var service = NpgsqlDataSource.Create(As(database.ConnectionString, role, "tasks"));
            await ExecuteAsync(service, "SELECT count(*) FROM tasks");   // its password and its tables as they were
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task A_role_made_before_each_service_had_its_own_keeps_the_other_services_tables_for_one_migrate()
    {
        // Chat's pods connect as the tasks' role until they roll: the orchestrator's first migrate since the split
        // leaves them chat's tables, the next takes them back.
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "pw"));
            await using (var asOwner = NpgsqlDataSource.Create(database.ConnectionString))
            {
                var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
                await ExecuteAsync(asOwner, $"CREATE TABLE chat_like (id int); GRANT SELECT ON chat_like TO {role}; "
                    + $"COMMENT ON ROLE {role} IS '{ServiceRole.Marker.Replace("'", "''", StringComparison.Ordinal)} for the database {name}'");
            }

            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "pw"));
            await using var service = NpgsqlDataSource.Create(As(database.ConnectionString, role, "pw"));
            await ExecuteAsync(service, "SELECT * FROM chat_like");

            Assert.Equal(MigrateCommand.Succeeded, await MigrateAsync(database.ConnectionString, role, "pw"));
            var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(service, "SELECT * FROM chat_like"));
            Assert.Equal(InsufficientPrivilege, error.SqlState);
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task A_role_of_that_name_the_command_did_not_make_is_left_alone()
    {
        await using var database = await NewDatabaseAsync();
        var role = "svc_" + Guid.NewGuid().ToString("N")[..12];
        await using var asOwner = NpgsqlDataSource.Create(database.ConnectionString);
        await ExecuteAsync(asOwner, $"CREATE ROLE {role} LOGIN CREATEDB PASSWORD 'its-own'");
        try
        {
            Assert.Equal(MigrateCommand.DatabaseFailed, await MigrateAsync(database.ConnectionString, role, "taken-over"));

            // Still its own password and powers: someone else's role is not reset.
            await using var its = NpgsqlDataSource.Create(As(database.ConnectionString, role, "its-own"));
            await using var createdb = its.CreateCommand("SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user");
            Assert.True((bool)(await createdb.ExecuteScalarAsync())!);
        }
        finally
        {
            await DropAsync(database, role);
        }
    }

    [Fact]
    public async Task The_owner_itself_a_role_without_a_password_or_a_name_to_quote_is_refused_before_anything_is_applied()
    {
        await using var database = await NewDatabaseAsync();
        var owner = new NpgsqlConnectionStringBuilder(database.ConnectionString).Username!;

        Assert.Equal(MigrateCommand.ConfigurationInvalid, await MigrateAsync(database.ConnectionString, owner, "x"));
        Assert.Equal(MigrateCommand.ConfigurationInvalid, await MigrateAsync(database.ConnectionString, "svc_nopassword", ""));
        Assert.Equal(MigrateCommand.ConfigurationInvalid, await MigrateAsync(database.ConnectionString, "Robert'); DROP TABLE tasks;--", "x"));
        // Its verifier is computed here; outside printable ASCII, SASLprep could make PostgreSQL's and a client's differ.
        Assert.Equal(MigrateCommand.ConfigurationInvalid, await MigrateAsync(database.ConnectionString, "svc_nonascii", "ﬁx-pässword"));

        await using var asOwner = NpgsqlDataSource.Create(database.ConnectionString);
        await using var tables = asOwner.CreateCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
        Assert.Equal(0L, (long)(await tables.ExecuteScalarAsync())!);
    }

    [Fact]
    public void The_verifier_is_the_one_PostgreSQL_would_store_for_the_password()
    {
        // RFC 7677's test vector: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
        var verifier = ServiceRole.ScramVerifier("pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="));

        Assert.Equal("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=", verifier);
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
        await ExecuteAsync(owner, $"DROP OWNED BY {role}; DROP ROLE {role}");   // DROP OWNED also revokes its privileges
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
