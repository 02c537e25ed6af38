namespace AgentSystem.Store;

/// <summary>Applies the versioned migrations (embedded Migrations/NNNN_name.sql) not yet applied, under an advisory lock.</summary>
public interface IDatabaseMigrator
{
    /// <summary>Returns the names of the migrations it applied (empty when the schema was current).</summary>
    Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The tables its migrations make: those its service's role may read and write (<see cref="ServiceRole"/>).</summary>
    IReadOnlyList<string> Tables { get; }

    /// <summary>Where it records the migrations applied: its service's role may read it, never write it.</summary>
    string HistoryTable { get; }
}
