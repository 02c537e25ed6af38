using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace AgentSystem.Store;

/// <summary>One versioned schema change: an embedded <c>Migrations/NNNN_name.sql</c>.</summary>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>The migrations embedded in this assembly (the task store's schema), in version order.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = Load(typeof(Migration).Assembly);

    /// <summary>The <c>Migrations/NNNN_name.sql</c> files embedded in <paramref name="assembly"/>, in version order.</summary>
    public static IReadOnlyList<Migration> Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationResource().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The embedded migration {resource} cannot be read.");
            using var reader = new StreamReader(stream);
            var version = int.Parse(match.Groups["version"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            migrations.Add(new Migration(version, match.Groups["name"].Value, reader.ReadToEnd()));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Two migrations have version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}. Give each file a number of its own.");
        }

        return migrations.Count > 0
            ? [.. migrations.OrderBy(m => m.Version)]
            : throw new InvalidOperationException($"{assembly.GetName().Name} embeds no migration: add Migrations/0001_name.sql as an EmbeddedResource.");
    }

    /// <summary>
    /// The tables <paramref name="migrations"/> make and do not drop again, in the order made: the ones their service's
    /// role is granted. Read from their SQL, so the migrations stay the one place that says which tables are whose.
    /// </summary>
    public static IReadOnlyList<string> TablesMadeBy(IEnumerable<Migration> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        var tables = new List<string>();
        foreach (var migration in migrations)
        {
            foreach (Match statement in TableStatement().Matches(migration.Sql))
            {
                var table = statement.Groups["table"].Value.ToLowerInvariant();
                if (!statement.Groups["verb"].Value.Equals("CREATE", StringComparison.OrdinalIgnoreCase))
                {
                    tables.Remove(table);
                }
                else if (!tables.Contains(table))
                {
                    tables.Add(table);
                }
            }
        }

        return tables;
    }

    [GeneratedRegex(@"\b(?<verb>CREATE|DROP)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:public\.)?(?<table>[A-Za-z_][A-Za-z0-9_]*)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex TableStatement();

    [GeneratedRegex(@"(^|\.)Migrations\.(?<name>(?<version>\d{4})_[A-Za-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex MigrationResource();
}
