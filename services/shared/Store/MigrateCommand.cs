using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// <c>dotnet AgentSystem.&lt;Service&gt;.dll migrate [--ConnectionStrings:Postgres=...]</c>, the same for every service
/// that owns a schema (orchestrator, chat): applies its migrations, prints each one applied (or that the schema is up
/// to date) and exits (the deploys' one-shot job); with <c>Migrate:ServiceRole</c> it then makes the services' role
/// (<see cref="ServiceRole"/>). The services never migrate at start. Exit codes: 0 applied or
/// current, 1 PostgreSQL unreachable or a migration failed, 2 configuration missing or invalid.
/// </summary>
public static class MigrateCommand
{
    public const string Name = "migrate";

    public const int Succeeded = 0;
    public const int DatabaseFailed = 1;
    public const int ConfigurationInvalid = 2;

    public static bool IsRequested(string[] args) => args is [Name, ..];

    /// <summary>
    /// Builds a host with only what <paramref name="addMigrator"/> registers (the service's <see cref="IDatabaseMigrator"/>
    /// and its connection: no Redis, no HTTP), configured as the service is (appsettings, environment, the arguments
    /// after "migrate"), and migrates.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Action<IHostApplicationBuilder> addMigrator)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(addMigrator);
        var builder = Host.CreateApplicationBuilder(args[1..]);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options => options.SingleLine = true);
        // Warnings and errors only, whatever the service's appsettings say ("Default": "Information" there printed each
        // migration twice: the migrator's log line and the command's own).
        builder.Logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(level => level >= LogLevel.Warning);

        // Its options are checked when the migrator is resolved, so a missing setting is exit code 2 with its name.
        addMigrator(builder);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<ServiceRoleOptions>().Configure(options =>
        {
            options.ServiceRole = configuration[ServiceRole.RoleKey];
            options.ServicePassword = configuration[ServiceRole.PasswordKey];
        });

        using var host = builder.Build();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await RunAsync(host.Services, Console.Out, Console.Error, cancel.Token).ConfigureAwait(false);
    }

    /// <summary>The command's work, on any service provider with an <see cref="IDatabaseMigrator"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        var serviceRole = services.GetService<IOptions<ServiceRoleOptions>>()?.Value ?? new ServiceRoleOptions();
        IDatabaseMigrator migrator;
        NpgsqlDataSource? dataSource;
        try
        {
            migrator = services.GetRequiredService<IDatabaseMigrator>();
            dataSource = string.IsNullOrEmpty(serviceRole.ServiceRole) ? null : services.GetRequiredService<NpgsqlDataSource>();
        }
        catch (Exception failure) when (failure is OptionsValidationException or InvalidOperationException)
        {
            await error.WriteLineAsync($"migrate: the configuration is invalid: {failure.Message}").ConfigureAwait(false);
            return ConfigurationInvalid;
        }

        // The services' role is checked before anything is applied, against the user the connection string names.
        var migratingUser = dataSource is null ? null : new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Username;
        if (ServiceRole.Problem(serviceRole, migratingUser) is { Length: > 0 } problem)
        {
            await error.WriteLineAsync($"migrate: the configuration is invalid: {problem}").ConfigureAwait(false);
            return ConfigurationInvalid;
        }

        IReadOnlyList<string> applied;
        try
        {
            applied = await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException failure)
        {
            await error.WriteLineAsync($"migrate: the configuration is invalid: {failure.Message}").ConfigureAwait(false);
            return ConfigurationInvalid;
        }
        catch (Exception failure) when (IsUnreachable(failure))
        {
            await error.WriteLineAsync(
                $"migrate: PostgreSQL is unreachable ({failure.GetType().Name}: {failure.Message}). "
                + "Check ConnectionStrings__Postgres and that the server is up; nothing was applied.");
            return DatabaseFailed;
        }
        catch (PostgresException failure)
        {
            await error.WriteLineAsync($"migrate: PostgreSQL refused ({failure.SqlState}: {failure.MessageText}). Check the database, user and password in ConnectionStrings__Postgres.").ConfigureAwait(false);
            return DatabaseFailed;
        }
        catch (InvalidOperationException failure)
        {
            // A migration failed: the Store applies each in a transaction, so the schema stays at the last good version.
            await error.WriteLineAsync($"migrate: failed: {failure.Message}").ConfigureAwait(false);
            return DatabaseFailed;
        }

        if (applied.Count == 0)
        {
            await output.WriteLineAsync("migrate: the schema is up to date; nothing to apply.").ConfigureAwait(false);
        }
        else
        {
            foreach (var name in applied)
            {
                await output.WriteLineAsync($"migrate: applied {name}").ConfigureAwait(false);
            }

            await output.WriteLineAsync($"migrate: {applied.Count} migration(s) applied.").ConfigureAwait(false);
        }

        return dataSource is not null
            ? await EnsureServiceRoleAsync(dataSource, serviceRole.ServiceRole!, serviceRole.ServicePassword!, migrator, output, error, cancellationToken).ConfigureAwait(false)
            : Succeeded;
    }

    // After the migrations, so that the tables they made are granted too; its failures are its own (the schema is done).
    private static async Task<int> EnsureServiceRoleAsync(
        NpgsqlDataSource dataSource, string role, string password, IDatabaseMigrator migrator, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            await ServiceRole.EnsureAsync(dataSource, role, password, migrator, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException failure)
        {
            var remedy = failure.SqlState == PostgresErrorCodes.InsufficientPrivilege ? " The user migrating needs CREATEROLE (or to be a superuser) to make it." : "";
            await error.WriteLineAsync($"migrate: the schema is migrated, but the services' role '{role}' could not be made or updated ({failure.SqlState}: {failure.MessageText}).{remedy}").ConfigureAwait(false);
            return DatabaseFailed;
        }
        catch (Exception failure) when (IsUnreachable(failure))
        {
            await error.WriteLineAsync($"migrate: the schema is migrated, but PostgreSQL went away before the services' role '{role}' was made ({failure.Message}).").ConfigureAwait(false);
            return DatabaseFailed;
        }

        await output.WriteLineAsync($"migrate: the services' role '{role}' may read and write {string.Join(", ", migrator.Tables)}, and nothing more.").ConfigureAwait(false);
        return Succeeded;
    }

    /// <summary>No connection at all, as opposed to an error PostgreSQL answered (a <see cref="PostgresException"/>).</summary>
    private static bool IsUnreachable(Exception failure) =>
        failure is SocketException or TimeoutException || (failure is NpgsqlException and not PostgresException);
}
