using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// The role the services connect as, when a deploy names one (<c>Migrate:ServiceRole</c>, <c>Migrate:ServicePassword</c>):
/// the migrate command, connected as the schema's owner, makes it, or sets its password again and takes back whatever
/// it was given since (attributes, settings, memberships either way, privileges), and grants it reading and writing the
/// tables that service's migrations make (<see cref="IDatabaseMigrator.Tables"/>: chat's role cannot reach the tasks, nor
/// the tasks' chat's), its migrator's history table only reading, its tables' sequences only their use. Neither owner
/// nor superuser, it cannot change the schema or the migrations' record, and a statement the services were tricked into
/// running cannot reach the server's files or programs.
/// </summary>
public static partial class ServiceRole
{
    public const string RoleKey = "Migrate:ServiceRole";

    public const string PasswordKey = "Migrate:ServicePassword";

    /// <summary>
    /// The comment that marks a role this command made, followed by " for the database NAME, migrator HISTORY": roles are
    /// the server's, and a role of that name without it belongs to someone else (another application, another database's
    /// deploy, the other service's migrate, a person). Such a role is refused, never given a new password or stripped of
    /// its powers. One marked without the migrator (before each service had its own) is taken and marked again.
    /// </summary>
    public const string Marker = "AgentSystem: the services' role, made by their migrate command";

    /// <summary>The SQLSTATE of this step's own refusals (a class of codes PostgreSQL leaves to applications).</summary>
    public const string RefusedState = "AGS01";

    /// <summary>
    /// Serialises the orchestrator's and chat's migrate jobs here ("AgSysRol" in ASCII): each revokes its role's every
    /// privilege on public, which rewrites every table's privileges, the other migrator's tables too.
    /// </summary>
    private const long LockKey = 0x4167_5379_7352_6F6C;

    private const int Attempts = 5;

    /// <summary>Printable ASCII: its verifier here is what PostgreSQL and every client compute alike (no SASLprep to differ on).</summary>
    [GeneratedRegex("^[\\x20-\\x7E]+\\z")]
    private static partial Regex PrintableAscii();

    // Read back as the services will read it: their connection strings carry it unquoted (Password=...).
    private static bool SurvivesAConnectionString(string password)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder($"Host=postgres;Password={password}").Password == password;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A plain PostgreSQL identifier, so that what the deploy names is the role made.</summary>
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}\\z")]
    private static partial Regex PlainName();

    /// <summary>
    /// Null when no role is named (Dev, the load harness, most tests: the services connect as the owner); else what is wrong with the
    /// settings, or "" for nothing. <paramref name="migratingUser"/> is the connection string's user.
    /// </summary>
    public static string? Problem(ServiceRoleOptions options, string? migratingUser)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.ServiceRole))
        {
            return string.IsNullOrEmpty(options.ServicePassword) ? null : $"{PasswordKey} is set without {RoleKey}.";
        }

        if (!PlainName().IsMatch(options.ServiceRole))
        {
            return $"{RoleKey} '{options.ServiceRole}' is not a plain PostgreSQL name (lower-case letters, digits and '_', at most 63).";
        }

        if (options.ServiceRole == migratingUser)
        {
            return $"{RoleKey} '{options.ServiceRole}' is the user migrating: the services' role must be another, without the owner's powers.";
        }

        return string.IsNullOrEmpty(options.ServicePassword) ? $"{RoleKey} is set without {PasswordKey}."
            : !PrintableAscii().IsMatch(options.ServicePassword) ? $"{PasswordKey} may hold printable ASCII only (letters, digits, spaces and punctuation; a newline from a file?)."
            : !SurvivesAConnectionString(options.ServicePassword)
                ? $"{PasswordKey} would not survive being pasted into a connection string, as Compose and the k8s base paste it into the services': a ';', a leading '=', or a quote or a space at either end breaks it or is dropped."
            : "";
    }

    /// <summary>
    /// Makes or updates the role (see the class) in one transaction; idempotent. It waits for every migrator of the
    /// database; what can still collide (another database's deploy making a role of that name, a catalog row written at
    /// once elsewhere) is tried again.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, string role, string password, IDatabaseMigrator migrator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(migrator);
        var verifier = ScramVerifier(password);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await EnsureOnceAsync(dataSource, role, verifier, migrator, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException collision) when (attempt < Attempts
                && collision.SqlState is PostgresErrorCodes.InternalError or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.UniqueViolation)
            {
                // Another database's deploy making a role of that name at the same moment (unique violation: the next
                // attempt finds it and refuses it), or a catalog row written at once elsewhere ("tuple concurrently updated").
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The password as PostgreSQL stores it (SCRAM-SHA-256, RFC 5803's form; for the printable ASCII <see cref="Problem"/>
    /// allows, SASLprep changes nothing), sent instead of the password: the server never sees it, so no log line of its
    /// (a failed statement's context) can show it. A server that logs every statement's parameters logs the verifier,
    /// from which a weak password can be guessed offline: give a long random one.
    /// </summary>
    public static string ScramVerifier(string password, byte[]? salt = null, int iterations = 4096)
    {
        ArgumentNullException.ThrowIfNull(password);
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return string.Create(CultureInfo.InvariantCulture,
            $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }

    private static async Task EnsureOnceAsync(NpgsqlDataSource dataSource, string role, string verifier, IDatabaseMigrator migrator, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // DDL takes no parameters: the values reach the DO block as settings of this transaction, and format's %I
                // and %L quote them there. Only the attributes the role has are named: naming NOSUPERUSER at all needs
                // a superuser, which an owner with CREATEROLE is not. Every migrator's lock first: a GRANT on a table
                // another migration is altering fails one of the two ("tuple concurrently updated").
                var locks = string.Join(", ", DatabaseMigrator.EveryLockKey.Append(LockKey).Select(key => string.Create(CultureInfo.InvariantCulture, $"pg_advisory_xact_lock({key})")));
                var ensure = new NpgsqlCommand(
                    string.Create(CultureInfo.InvariantCulture, $"""
                    SELECT {locks};
                    SELECT set_config('agentsystem.role', @role, true), set_config('agentsystem.verifier', @verifier, true),
                           set_config('agentsystem.marker', @marker, true), set_config('agentsystem.history', @history, true),
                           set_config('agentsystem.tables', @tables, true);
                    DO $$
                    DECLARE
                        r text := current_setting('agentsystem.role');
                        own text[] := string_to_array(current_setting('agentsystem.tables'), ',');
                        v text := current_setting('agentsystem.verifier');
                        legacy text := current_setting('agentsystem.marker') || ' for the database ' || current_database();
                        marker text := legacy || ', migrator ' || current_setting('agentsystem.history');
                        existing pg_roles%ROWTYPE;
                        first_since_split boolean := false;
                        missing text[];
                        powers text;
                        item record;
                    BEGIN
                        SELECT * INTO existing FROM pg_roles WHERE rolname = r;
                        IF NOT FOUND THEN
                            EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L', r, v);
                        ELSE
                            -- The migrator named: chat's job must not take over the tasks' role (nor the reverse) and
                            -- grant it only chat's tables. A role marked before roles were per migrator is taken once.
                            IF shobj_description(existing.oid, 'pg_authid') IS DISTINCT FROM marker
                               AND shobj_description(existing.oid, 'pg_authid') IS DISTINCT FROM legacy THEN
                                RAISE EXCEPTION 'the role % exists and was not made by this command for this database and migrator (its comment is not "%"): name another', r, marker
                                    USING ERRCODE = '{RefusedState}';
                            END IF;
                            first_since_split := shobj_description(existing.oid, 'pg_authid') = legacy;
                            -- Relations, functions, types and schemas could be changed by their owner; a large object or
                            -- default privileges the role made for itself give it nothing of ours, and must not block a migrate.
                            IF EXISTS (SELECT FROM pg_shdepend WHERE refclassid = 'pg_authid'::regclass AND refobjid = existing.oid AND deptype = 'o'
                                       AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                                       AND classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass, 'pg_namespace'::regclass)) THEN
                                RAISE EXCEPTION 'the role % owns tables, functions, types or schemas, so it could change them: REASSIGN OWNED BY % TO %', r, r, current_user
                                    USING ERRCODE = '{RefusedState}';
                            END IF;
                            powers := concat_ws(' ',
                                CASE WHEN existing.rolsuper THEN 'NOSUPERUSER' END, CASE WHEN existing.rolcreatedb THEN 'NOCREATEDB' END,
                                CASE WHEN existing.rolcreaterole THEN 'NOCREATEROLE' END, CASE WHEN existing.rolreplication THEN 'NOREPLICATION' END,
                                CASE WHEN existing.rolbypassrls THEN 'NOBYPASSRLS' END, CASE WHEN NOT existing.rolcanlogin THEN 'LOGIN' END);
                            EXECUTE format('ALTER ROLE %I WITH %s PASSWORD %L', r, powers, v);
                            EXECUTE format('ALTER ROLE %I RESET ALL', r);
                            FOR item IN SELECT d.datname FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = existing.oid LOOP
                                EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET ALL', r, item.datname);
                            END LOOP;
                            -- Its memberships and its members. Before PostgreSQL 16 a membership has one row whatever its
                            -- grantor, and GRANTED BY is ignored (a dropped grantor's oid does not even parse); from 16 on
                            -- each grantor's grant is revoked on its own.
                            FOR item IN SELECT roleid::regrole::text AS granted, member::regrole::text AS member, grantor FROM pg_auth_members
                                        WHERE member = existing.oid OR roleid = existing.oid LOOP
                                IF current_setting('server_version_num')::int < 160000 THEN
                                    EXECUTE format('REVOKE %s FROM %s', item.granted, item.member);
                                ELSIF EXISTS (SELECT FROM pg_roles WHERE oid = item.grantor) THEN
                                    EXECUTE format('REVOKE %s FROM %s GRANTED BY %s CASCADE', item.granted, item.member, item.grantor::regrole::text);
                                END IF;
                            END LOOP;
                        END IF;
                        EXECUTE format('COMMENT ON ROLE %I IS %L', r, marker);
                        -- Whatever it was granted before (by hand, or by an earlier version of this step), then what it needs.
                        -- Except once, on the first run since each service has its own role: the other service's pods
                        -- still connect as this role until theirs roll, so its tables stay granted until the next migrate.
                        IF NOT first_since_split THEN
                            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I CASCADE', r);
                            EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I CASCADE', r);
                        END IF;
                        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM %I CASCADE', r);
                        EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I CASCADE', r);
                        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
                        -- The tables are read from the migrations' SQL: one the reading got wrong fails here, not later
                        -- as a service refused its own table.
                        missing := ARRAY(SELECT unnest(own) EXCEPT SELECT tablename::text FROM pg_tables WHERE schemaname = 'public');
                        IF cardinality(missing) > 0 THEN
                            RAISE EXCEPTION 'the migrations name tables that do not exist: %', array_to_string(missing, ', ');
                        END IF;
                        FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(own) LOOP
                            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO %I', item.tablename, r);
                        END LOOP;
                        -- Their sequences (a bigserial's): used, never set.
                        FOR item IN SELECT s.relname FROM pg_class s
                                    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
                                    JOIN pg_class t ON t.oid = d.refobjid
                                    WHERE s.relkind = 'S' AND t.relnamespace = 'public'::regnamespace AND t.relname = ANY(own) LOOP
                            EXECUTE format('GRANT USAGE ON SEQUENCE public.%I TO %I', item.relname, r);
                        END LOOP;
                        EXECUTE format('GRANT SELECT ON public.%I TO %I', current_setting('agentsystem.history'), r);
                    END $$;
                    """), connection, transaction);
                await using (ensure.ConfigureAwait(false))
                {
                    ensure.Parameters.AddWithValue("role", role);
                    ensure.Parameters.AddWithValue("verifier", verifier);
                    ensure.Parameters.AddWithValue("marker", Marker);
                    ensure.Parameters.AddWithValue("history", migrator.HistoryTable);
                    ensure.Parameters.AddWithValue("tables", string.Join(',', migrator.Tables));
                    await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>The <c>Migrate</c> section: the role <see cref="ServiceRole"/> makes for the services, if any.</summary>
public sealed class ServiceRoleOptions
{
    public string? ServiceRole { get; set; }

    public string? ServicePassword { get; set; }
}
