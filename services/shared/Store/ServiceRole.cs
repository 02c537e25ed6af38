using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// The role the services connect as, when a deploy names one (<c>Migrate:ServiceRole</c>, <c>Migrate:ServicePassword</c>):
/// the migrate command, connected as the schema's owner, makes it, or sets its password again and takes back any power
/// it was given (attributes, memberships), and grants it reading and writing the tables: the migrators' history tables
/// only reading, sequences only their use. Neither owner nor superuser, it cannot change the schema or the migrations'
/// record, and a statement the services were tricked into running cannot reach the server's files or programs.
/// </summary>
public static partial class ServiceRole
{
    public const string RoleKey = "Migrate:ServiceRole";

    public const string PasswordKey = "Migrate:ServicePassword";

    /// <summary>
    /// The comment that marks a role this command made. A role of that name without it belongs to someone else (another
    /// application on the server, a person): it is refused, never given a new password or stripped of its powers.
    /// </summary>
    public const string Marker = "AgentSystem: the services' role, made by their migrate command";

    /// <summary>How the migrators' history tables end (schema_migrations, chat_schema_migrations): the role only reads them.</summary>
    public const string HistoryTableSuffix = DatabaseMigrator.DefaultHistoryTable;

    /// <summary>The SQLSTATE of this step's own refusals (a class of codes PostgreSQL leaves to applications).</summary>
    public const string RefusedState = "AGS01";

    /// <summary>Serialises the orchestrator's and chat's migrate jobs here, since both make the same role ("AgSysRol" in ASCII).</summary>
    private const long LockKey = 0x4167_5379_7352_6F6C;

    private const int Attempts = 5;

    /// <summary>A plain PostgreSQL identifier, so that what the deploy names is the role made.</summary>
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainName();

    /// <summary>
    /// Null when no role is named (Compose, Dev, the tests: the services connect as the owner); else what is wrong with the
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

        return string.IsNullOrEmpty(options.ServicePassword) ? $"{RoleKey} is set without {PasswordKey}." : "";
    }

    /// <summary>
    /// Makes or updates the role (see the class) in one transaction; idempotent. A grant that collides with the other
    /// service's migrations, running at the same moment on their own lock, is tried again.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, string role, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var verifier = ScramVerifier(password);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await EnsureOnceAsync(dataSource, role, verifier, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException collision) when (attempt < Attempts && collision.SqlState is PostgresErrorCodes.InternalError or PostgresErrorCodes.DeadlockDetected)
            {
                // "tuple concurrently updated": a GRANT and another migration's ALTER TABLE wrote the same catalog row.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The password as PostgreSQL stores it (SCRAM-SHA-256, RFC 5803's form, normalised as Npgsql normalises what it
    /// proves), sent instead of the password: the server never sees the password, so no log line of its (a failed
    /// statement's context, a logged parameter) can show it.
    /// </summary>
    public static string ScramVerifier(string password, byte[]? salt = null, int iterations = 4096)
    {
        ArgumentNullException.ThrowIfNull(password);
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC)), salt, iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return string.Create(CultureInfo.InvariantCulture,
            $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }

    private static async Task EnsureOnceAsync(NpgsqlDataSource dataSource, string role, string verifier, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // DDL takes no parameters: the values reach the DO block as settings of this transaction, and format's %I
                // and %L quote them there. Only the attributes the role has are named: naming NOSUPERUSER at all needs
                // a superuser, which an owner with CREATEROLE is not.
                var ensure = new NpgsqlCommand(
                    string.Create(CultureInfo.InvariantCulture, $"""
                    SELECT pg_advisory_xact_lock({LockKey});
                    SELECT set_config('agentsystem.role', @role, true), set_config('agentsystem.verifier', @verifier, true),
                           set_config('agentsystem.marker', @marker, true), set_config('agentsystem.history', @history, true);
                    DO $$
                    DECLARE
                        r text := current_setting('agentsystem.role');
                        v text := current_setting('agentsystem.verifier');
                        marker text := current_setting('agentsystem.marker');
                        existing pg_roles%ROWTYPE;
                        powers text;
                        membership record;
                        history text;
                    BEGIN
                        SELECT * INTO existing FROM pg_roles WHERE rolname = r;
                        IF NOT FOUND THEN
                            EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L', r, v);
                            EXECUTE format('COMMENT ON ROLE %I IS %L', r, marker);
                        ELSE
                            IF shobj_description(existing.oid, 'pg_authid') IS DISTINCT FROM marker THEN
                                RAISE EXCEPTION 'the role % exists and was not made by this command (its comment is not "%"): name another, or make it so by hand if it is unused', r, marker
                                    USING ERRCODE = '{RefusedState}';
                            END IF;
                            IF EXISTS (SELECT FROM pg_shdepend WHERE refclassid = 'pg_authid'::regclass AND refobjid = existing.oid AND deptype = 'o'
                                       AND dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))) THEN
                                RAISE EXCEPTION 'the role % owns objects, so it could change them: hand them to the owner (REASSIGN OWNED BY %)', r, r
                                    USING ERRCODE = '{RefusedState}';
                            END IF;
                            powers := concat_ws(' ',
                                CASE WHEN existing.rolsuper THEN 'NOSUPERUSER' END, CASE WHEN existing.rolcreatedb THEN 'NOCREATEDB' END,
                                CASE WHEN existing.rolcreaterole THEN 'NOCREATEROLE' END, CASE WHEN existing.rolreplication THEN 'NOREPLICATION' END,
                                CASE WHEN existing.rolbypassrls THEN 'NOBYPASSRLS' END, CASE WHEN NOT existing.rolcanlogin THEN 'LOGIN' END);
                            EXECUTE format('ALTER ROLE %I WITH %s PASSWORD %L', r, powers, v);
                            FOR membership IN SELECT roleid::regrole::text AS granted, grantor::regrole::text AS grantor FROM pg_auth_members WHERE member = existing.oid LOOP
                                EXECUTE format('REVOKE %s FROM %I GRANTED BY %s', membership.granted, r, membership.grantor);
                            END LOOP;
                        END IF;
                        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
                        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', r);
                        EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %I', r);
                        FOR history IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%' || current_setting('agentsystem.history') LOOP
                            EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON public.%I FROM %I', history, r);
                        END LOOP;
                    END $$;
                    """), connection, transaction);
                await using (ensure.ConfigureAwait(false))
                {
                    ensure.Parameters.AddWithValue("role", role);
                    ensure.Parameters.AddWithValue("verifier", verifier);
                    ensure.Parameters.AddWithValue("marker", Marker);
                    ensure.Parameters.AddWithValue("history", HistoryTableSuffix);
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
