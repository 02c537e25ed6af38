using Npgsql;

namespace AgentSystem.SystemTests;

/// <summary>
/// The services connect as the role their migrate command made (docs/architecture.md, "The services are not
/// PostgreSQL's owner"), which may read and write the tables and nothing more; every other test of this assembly runs
/// the system so.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DatabaseRoleTests(SystemFixture system)
{
    [Fact]
    public async Task Every_service_connects_as_the_service_role_which_can_neither_change_the_schema_nor_act_as_a_superuser()
    {
        await using var database = NpgsqlDataSource.Create(system.PostgresConnectionString);

        // A task run to its end: a worker has connected and written results (its connections stay open a while after).
        // Chat and the orchestrator have connected since they answered /readyz, which asks PostgreSQL.
        var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new object[] { new { type = "echo", input = "as whom?" } } });
        var task = await TaskApi.WaitFinalAsync(system.Api, submitted.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60), system.Diagnostics);
        Assert.Equal("succeeded", task.GetProperty("status").GetString());

        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var sessions = database.CreateCommand(
            "SELECT DISTINCT application_name, usename::text FROM pg_stat_activity WHERE application_name LIKE 'AgentSystem.%'"))
        await using (var reader = await sessions.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                users[reader.GetString(0) + " as " + reader.GetString(1)] = reader.GetString(1);
            }
        }

        Assert.Contains(users.Keys, k => k.StartsWith("AgentSystem.Orchestrator as", StringComparison.Ordinal));
        Assert.Contains(users.Keys, k => k.StartsWith("AgentSystem.Worker as", StringComparison.Ordinal));
        Assert.Contains(users.Keys, k => k.StartsWith("AgentSystem.Chat as", StringComparison.Ordinal));
        Assert.All(users, user => Assert.Equal(SystemFixture.ServiceRole, user.Value));

        // Several privileges in one has_table_privilege are true when any is held: the ones it must have are asked one by one.
        await using var powers = database.CreateCommand("""
            SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb,
                   has_schema_privilege(r.rolname, 'public', 'CREATE'),
                   has_table_privilege(r.rolname, 'tasks', 'SELECT') AND has_table_privilege(r.rolname, 'tasks', 'INSERT')
                       AND has_table_privilege(r.rolname, 'tasks', 'UPDATE') AND has_table_privilege(r.rolname, 'tasks', 'DELETE'),
                   has_table_privilege(r.rolname, 'tasks', 'TRUNCATE, REFERENCES, TRIGGER'),
                   has_table_privilege(r.rolname, 'chat_conversations', 'SELECT') AND has_table_privilege(r.rolname, 'chat_messages', 'INSERT'),
                   has_table_privilege(r.rolname, 'schema_migrations', 'SELECT') AND has_table_privilege(r.rolname, 'chat_schema_migrations', 'SELECT'),
                   has_table_privilege(r.rolname, 'schema_migrations', 'INSERT, UPDATE, DELETE, TRUNCATE')
                       OR has_table_privilege(r.rolname, 'chat_schema_migrations', 'INSERT, UPDATE, DELETE, TRUNCATE'),
                   has_sequence_privilege(r.rolname, 'chat_messages_id_seq', 'USAGE'),
                   has_sequence_privilege(r.rolname, 'chat_messages_id_seq', 'UPDATE'),
                   EXISTS (SELECT FROM pg_auth_members m WHERE m.member = r.oid)
            FROM pg_roles r WHERE r.rolname = @role
            """);
        powers.Parameters.AddWithValue("role", SystemFixture.ServiceRole);
        await using var row = await powers.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync(), "the service role does not exist");
        var found = Enumerable.Range(0, row.FieldCount).Select(row.GetBoolean).ToArray();
        // superuser, CREATEROLE, CREATEDB, CREATE in public; the tables; no TRUNCATE and the like; chat's tables; the
        // migrations' records read, never written; a sequence used, never set; no membership in another role.
        Assert.Equal([false, false, false, false, true, false, true, true, false, true, false, false], found);
    }
}
