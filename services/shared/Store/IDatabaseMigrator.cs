namespace AgentSystem.Store;

/// <summary>Applies the versioned migrations (embedded Migrations/NNNN_name.sql) not yet applied, under an advisory lock.</summary>
public interface IDatabaseMigrator
{
    /// <summary>Returns the names of the migrations it applied (empty when the schema was current).</summary>
    Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken);
}
