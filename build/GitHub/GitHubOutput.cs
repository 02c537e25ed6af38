using System.Text.Json;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Testing;

namespace AgentSystem.Build.GitHub;

/// <summary>The step outputs the generated workflow's <c>affected</c> job hands to its <c>test</c> matrix.</summary>
public static class GitHubOutput
{
    /// <summary>The variable GitHub Actions sets to the file a step appends its outputs to.</summary>
    public const string VariableName = "GITHUB_OUTPUT";

    /// <summary>
    /// <c>services=["gateway","shared"]</c> (compact JSON for <c>fromJson</c>), <c>any=true|false</c>,
    /// <c>deploy=true|false</c> (a service is affected, and every change under k8s/ affects one, so the deploy job runs),
    /// <c>system=true|false</c> (the system job runs: <see cref="SystemTests.Affected"/>) and <c>load=true|false</c> (the
    /// load job runs: <see cref="LoadTests.Affected"/>).
    /// </summary>
    /// <param name="root">The repository's root, where the affected services' Dockerfiles are looked for.</param>
    public static IReadOnlyList<string> Lines(AffectedResult changes, string root)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var entries = changes.MatrixEntries();
        return [$"services={JsonSerializer.Serialize(entries)}", $"any={Flag(entries.Count > 0)}", $"deploy={Flag(changes.Services.Count > 0)}",
            $"system={Flag(SystemTests.Affected(changes, root))}", $"load={Flag(LoadTests.Affected(changes))}"];
    }

    private static string Flag(bool value) => value ? "true" : "false";

    /// <summary>Appends <see cref="Lines"/> to <paramref name="path"/>, as GitHub expects; false when no path is given.</summary>
    /// <param name="path">The value of <see cref="VariableName"/>, passed in so tests never touch the process environment.</param>
    public static bool Append(string? path, AffectedResult changes, string root)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        File.AppendAllLines(path, Lines(changes, root));
        return true;
    }
}
