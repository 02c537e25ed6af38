using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// The role the services connect as, when a deploy names one (<c>Migrate:ServiceRole</c>, <c>Migrate:ServicePassword</c>):
/// the migrate command, connected as the schema's owner, makes it (or sets its password again) and grants it reading
/// and writing the tables, nothing more. Neither owner nor superuser, it cannot change the schema, and a statement the
/// services were tricked into running cannot reach the server's files or programs as a superuser's can.
/// </summary>
public static partial class ServiceRole
{
    public const string RoleKey = "Migrate:ServiceRole";

    public const string PasswordKey = "Migrate:ServicePassword";

    /// <summary>Serialises the orchestrator's and chat's migrate jobs here, since both make the same role ("AgSysRol" in ASCII).</summary>
    private const long LockKey = 0x4167_5379_7352_6F6C;

    /// <summary>A plain PostgreSQL identifier, so that what the deploy names is the role made.</summary>
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainName();

    /// <summary>Null when no role is named (Compose, Dev, the tests: the services connect as the owner); else what is wrong, or "".</summary>
    public static string? Problem(ServiceRoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.ServiceRole))
        {
            return string.IsNullOrEmpty(options.ServicePassword) ? null : "Migrate:ServicePassword is set without Migrate:ServiceRole.";
        }

        if (!PlainName().IsMatch(options.ServiceRole))
        {
            return $"Migrate:ServiceRole '{options.ServiceRole}' is not a plain PostgreSQL name (lower-case letters, digits and '_', at most 63).";
        }

        return string.IsNullOrEmpty(options.ServicePassword) ? "Migrate:ServiceRole is set without Migrate:ServicePassword." : "";
    }

    /// <summary>Makes the role, or sets its password and takes back any power it was given; grants it the tables. Idempotent.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, string role, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var check = new NpgsqlCommand(string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({LockKey}), current_user"), connection, transaction);
                await using (check.ConfigureAwait(false))
                await using (var reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    if (reader.GetString(1) == role)
                    {
                        throw new InvalidOperationException(
                            $"Migrate:ServiceRole '{role}' is the user migrating: the services' role must be another, without the owner's powers.");
                    }
                }

                // DDL takes no parameters: the name and password reach the DO block as settings of this transaction,
                // and format's %I and %L quote them there.
                var grant = new NpgsqlCommand(
                    """
                    SELECT set_config('agentsystem.service_role', @role, true), set_config('agentsystem.service_password', @password, true);
                    DO $$
                    DECLARE
                        r text := current_setting('agentsystem.service_role');
                        p text := current_setting('agentsystem.service_password');
                    BEGIN
                        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
                            EXECUTE format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', r, p);
                        ELSE
                            EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L', r, p);
                        END IF;
                        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), r);
                        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
                        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', r);
                        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', r);
                    END $$;
                    """, connection, transaction);
                await using (grant.ConfigureAwait(false))
                {
                    grant.Parameters.AddWithValue("role", role);
                    grant.Parameters.AddWithValue("password", password);
                    await grant.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
