using Npgsql;

namespace AgentSystem.SystemTests;

/// <summary>
/// The services connect as the role their migrate command made (docs/architecture.md, "The services are not
/// PostgreSQL's owner"), which may read and write their service's tables and nothing more: the orchestrator and the
/// workers the tasks', chat its own. Every other test of this assembly runs the system so.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DatabaseRoleTests(SystemFixture system)
{
    [Fact]
    public async Task Every_service_connects_as_its_role_which_reaches_only_its_own_tables_and_can_neither_change_the_schema_nor_act_as_a_superuser()
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

        Assert.Equal(
            [("AgentSystem.Chat", SystemFixture.ChatRole), ("AgentSystem.Orchestrator", SystemFixture.ServiceRole), ("AgentSystem.Worker", SystemFixture.ServiceRole)],
            users.Select(u => (u.Key[..u.Key.IndexOf(" as ", StringComparison.Ordinal)], u.Value)).Distinct().Order());

        // superuser, CREATEROLE, CREATEDB, CREATE in public; its tables; no TRUNCATE and the like; the other service's
        // tables; its migrations' record read, never written; the other's record; its sequence used, never set; no
        // membership in another role.
        var service = await PowersAsync(database, SystemFixture.ServiceRole, "tasks", "chat_messages", "schema_migrations", "chat_schema_migrations", null);
        var chat = await PowersAsync(database, SystemFixture.ChatRole, "chat_messages", "tasks", "chat_schema_migrations", "schema_migrations", "chat_messages_id_seq");
        Assert.Equal([false, false, false, false, true, false, false, true, false, false, false, false, false], service);
        Assert.Equal([false, false, false, false, true, false, false, true, false, false, true, false, false], chat);
    }

    // Several privileges in one has_table_privilege are true when any is held: the ones it must have are asked one by one.
    private static async Task<bool[]> PowersAsync(NpgsqlDataSource database, string role, string own, string others, string history, string othersHistory, string? sequence)
    {
        await using var powers = database.CreateCommand("""
            SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb,
                   has_schema_privilege(r.rolname, 'public', 'CREATE'),
                   has_table_privilege(r.rolname, @own, 'SELECT') AND has_table_privilege(r.rolname, @own, 'INSERT')
                       AND has_table_privilege(r.rolname, @own, 'UPDATE') AND has_table_privilege(r.rolname, @own, 'DELETE'),
                   has_table_privilege(r.rolname, @own, 'TRUNCATE, REFERENCES, TRIGGER'),
                   has_table_privilege(r.rolname, @others, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
                   has_table_privilege(r.rolname, @history, 'SELECT'),
                   has_table_privilege(r.rolname, @history, 'INSERT, UPDATE, DELETE, TRUNCATE'),
                   has_table_privilege(r.rolname, @others_history, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
                   @sequence IS NOT NULL AND has_sequence_privilege(r.rolname, @sequence, 'USAGE'),
                   @sequence IS NOT NULL AND has_sequence_privilege(r.rolname, @sequence, 'UPDATE'),
                   EXISTS (SELECT FROM pg_auth_members m WHERE m.member = r.oid)
            FROM pg_roles r WHERE r.rolname = @role
            """);
        powers.Parameters.AddWithValue("role", role);
        powers.Parameters.AddWithValue("own", own);
        powers.Parameters.AddWithValue("others", others);
        powers.Parameters.AddWithValue("history", history);
        powers.Parameters.AddWithValue("others_history", othersHistory);
        powers.Parameters.Add(new NpgsqlParameter<string?>("sequence", sequence) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var row = await powers.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync(), $"the role {role} does not exist");
        return [.. Enumerable.Range(0, row.FieldCount).Select(row.GetBoolean)];
    }
}
