using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>
/// The PostgreSQL connection string (<c>ConnectionStrings:Postgres</c>) and the pool of this service (section
/// <c>Postgres</c>). Each service sets <see cref="MaxPoolSize"/> in its appsettings.json so that every pod of every
/// service together stays within PostgreSQL's max_connections (docs/architecture.md, "Connection budget").
/// </summary>
public sealed class StoreConnectionOptions
{
    public const string SectionName = "Postgres";

    public string? ConnectionString { get; set; }

    /// <summary>Most connections this process opens; replaces any <c>Maximum Pool Size</c> in the connection string. Unset: Npgsql's (100).</summary>
    public int? MaxPoolSize { get; set; }

    /// <summary>The <c>application_name</c> PostgreSQL shows in pg_stat_activity, when the connection string names none.</summary>
    public string? ApplicationName { get; set; }
}

internal sealed class StoreConnectionOptionsValidator : IValidateOptions<StoreConnectionOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreConnectionOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(StoreDataSource.MissingMessage);
        }

        return options.MaxPoolSize is < 1 or > 1000
            ? ValidateOptionsResult.Fail($"{StoreConnectionOptions.SectionName}:MaxPoolSize must be a whole number from 1 to 1000.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>Creates the one data source (connection pool) a process shares.</summary>
public static class StoreDataSource
{
    /// <summary>
    /// How many statements each connection keeps prepared (Npgsql's <c>Max Auto Prepare</c>) unless the connection string
    /// says otherwise: a statement run five times is prepared, so PostgreSQL no longer parses and plans it on every call
    /// (a third of its CPU through the gateway path, docs/load-history.md). The repositories use about thirty statements.
    /// <c>Max Auto Prepare=0</c> in the connection string turns it off, e.g. behind a pooler that cannot keep them.
    /// </summary>
    public const int AutoPreparedStatements = 64;

    /// <summary>
    /// Whether a connection going back to the pool is reset (Npgsql's <c>No Reset On Close</c>) unless the connection
    /// string says otherwise: not. With prepared statements Npgsql resets it with seven statements (<c>RESET ALL</c>,
    /// <c>UNLISTEN *</c>, <c>pg_advisory_unlock_all()</c>...) sent before the next command, more statements than the
    /// work itself on the result path (docs/load-history.md). The services leave no session state behind: no <c>SET</c>,
    /// <c>LISTEN</c> or temporary tables, an open transaction is rolled back on return all the same, and the migrator,
    /// the one user of a session lock, closes its connection instead of returning it.
    /// </summary>
    public const bool ResetOnClose = false;

    /// <summary>
    /// Npgsql's <c>GSS Encryption Mode</c> unless the connection string says otherwise: off. Its default (prefer) loads
    /// the system's Kerberos library at the first connection, which the images do not have, and the runtime prints
    /// "Cannot load library libgssapi_krb5.so.2" on every start and migrate. A deployment that uses Kerberos names the
    /// mode in its connection string.
    /// </summary>
    public const GssEncryptionMode GssEncryption = GssEncryptionMode.Disable;

    internal static readonly string MissingMessage =
        $"{StoreServiceExtensions.ConnectionStringKey} is not set: give the PostgreSQL connection string, e.g. "
        + "ConnectionStrings__Postgres=\"Host=localhost;Username=agentsystem;Password=...;Database=agentsystem\" in the environment.";

    private static string Unreadable(string connectionString) =>
        $"{StoreServiceExtensions.ConnectionStringKey} cannot be read: "
        + (UnknownKeywordBeforePassword(connectionString) is { } keyword ? $"Npgsql knows no keyword '{keyword}'."
            : "it names a keyword Npgsql does not know, or a value holds ';', a leading '=' or a quote unquoted (quote such a "
            + "password: Password='a;b', a ' inside doubled). Its text is not shown: it holds a password.");

    // Only a keyword before the password is named: after a password's unquoted ';' the "keyword" is the password's rest.
    private static string? UnknownKeywordBeforePassword(string connectionString)
    {
        var known = new NpgsqlConnectionStringBuilder();
        foreach (var keyword in connectionString.Split(';').Select(part => part.Split('=')[0].Trim()))
        {
            if (keyword.Equals("password", StringComparison.OrdinalIgnoreCase) || keyword.StartsWith('\'') || keyword.StartsWith('"'))
            {
                return null;
            }

            if (keyword.Length > 0 && !known.ContainsKey(keyword))
            {
                return keyword;
            }
        }

        return null;
    }

    public static NpgsqlDataSource Create(string? connectionString, ILoggerFactory? loggerFactory = null) =>
        Create(new StoreConnectionOptions { ConnectionString = connectionString }, loggerFactory);

    public static NpgsqlDataSource Create(StoreConnectionOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException(MissingMessage);
        }

        NpgsqlDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        }
        catch (ArgumentException)
        {
            // Not passed on: Npgsql's message names the unknown keyword, which after a password's unquoted ';' is the
            // password's rest.
            throw new InvalidOperationException(Unreadable(options.ConnectionString));
        }

        if (options.MaxPoolSize is { } maxPoolSize)
        {
            builder.ConnectionStringBuilder.MaxPoolSize = maxPoolSize;
            builder.ConnectionStringBuilder.MinPoolSize = Math.Min(builder.ConnectionStringBuilder.MinPoolSize, maxPoolSize);
        }

        if (!Names(options.ConnectionString, "MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
        }

        if (!Names(options.ConnectionString, "NoResetOnClose"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = !ResetOnClose;
        }

        if (!Names(options.ConnectionString, "GssEncryptionMode"))
        {
            builder.ConnectionStringBuilder.GssEncryptionMode = GssEncryption;
        }

        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName) && !string.IsNullOrEmpty(options.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = options.ApplicationName;
        }

        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        return builder.Build();
    }

    // Whether the connection string sets the keyword itself, however spaced or cased (Npgsql accepts both spellings),
    // which Npgsql's own builder cannot tell from its default.
    private static bool Names(string connectionString, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Any(key => string.Equals(key.Replace(" ", string.Empty, StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase));
}
