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

    /// <summary>The harness's exit code for a usage error (tests/Load/AgentSystem.Load/Program.cs).</summary>
    public const int UsageExitCode = 2;

    public static bool Affected(AffectedResult changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return changes.Projects.Contains(Project, StringComparer.Ordinal);
    }

    /// <summary>
    /// What the harness references that is affected, those with a changed file of their own first (the cause, before
    /// what depends on it), or the harness alone when nothing it references is: why it runs.
    /// </summary>
    public static IReadOnlyList<string> AffectedReferences(AffectedResult changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Graph is not { } graph || !Affected(changes))
        {
            return [];
        }

        bool Changed(string project) => changes.ChangedFiles.Any(file => file.StartsWith(Path.GetDirectoryName(project)!.Replace('\\', '/') + "/", StringComparison.Ordinal));
        List<string> references = [.. graph.ReferenceClosure(Project).Where(p => p != Project && changes.Projects.Contains(p)).OrderBy(p => Changed(p) ? 0 : 1)];
        return references.Count > 0 ? references : [Project];
    }

    /// <summary>Whether this repository has the harness (a target named on the command line runs only then).</summary>
    public static bool Present(AffectedResult changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return changes.Graph?.Projects.Any(p => p.Path == Project) == true;
    }

    /// <summary>The services the harness runs under load: those whose project it references.</summary>
    public static IEnumerable<string> Services(AffectedResult changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Catalog is not { } catalog || changes.Graph is not { } graph)
        {
            return [];
        }

        var referenced = graph.ReferenceClosure(Project);
        return catalog.Services.Where(s => referenced.Contains(s.Project, StringComparer.Ordinal)).Select(s => s.Name);
    }
}
