using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Testing;

/// <summary>
/// When the load tests run: the harness references the queue, the store, the worker, the orchestrator and the gateway,
/// so affected detection (which follows project references) selects it exactly when one of them changed. One fact for
/// the LoadTest target's condition and the workflow's load job.
/// </summary>
public static class LoadTests
{
    public const string Project = "tests/Load/AgentSystem.Load/AgentSystem.Load.csproj";

    public static bool Affected(AffectedResult changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return changes.Projects.Contains(Project, StringComparer.Ordinal);
    }
}
