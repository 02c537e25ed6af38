using System.Text.Json;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.GitHub;

/// <summary>The step outputs the generated workflow's <c>affected</c> job hands to its <c>test</c> matrix.</summary>
public static class GitHubOutput
{
    /// <summary>The variable GitHub Actions sets to the file a step appends its outputs to.</summary>
    public const string VariableName = "GITHUB_OUTPUT";

    /// <summary>
    /// <c>services=["gateway","shared"]</c> (compact JSON for <c>fromJson</c>), <c>any=true|false</c>, and
    /// <c>deploy=true|false</c>: a service is affected (every change under k8s/ affects one), so the deploy job runs.
    /// </summary>
    public static IReadOnlyList<string> Lines(AffectedResult changes)
    {
        var entries = changes.MatrixEntries();
        return [$"services={JsonSerializer.Serialize(entries)}", $"any={Flag(entries.Count > 0)}", $"deploy={Flag(changes.Services.Count > 0)}"];
    }

    static string Flag(bool value) => value ? "true" : "false";

    /// <summary>Appends <see cref="Lines"/> to <paramref name="path"/>, as GitHub expects; false when no path is given.</summary>
    /// <param name="path">The value of <see cref="VariableName"/>, passed in so tests never touch the process environment.</param>
    public static bool Append(string? path, AffectedResult changes)
    {
        if (string.IsNullOrEmpty(path)) return false;
        File.AppendAllLines(path, Lines(changes));
        return true;
    }
}
