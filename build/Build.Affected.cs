using AgentSystem.Build.Engine;
using AgentSystem.Build.GitHub;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build;

internal partial class Build
{
    /// <summary>GitHub's limit on the jobs one matrix may generate.</summary>
    private const int MaxMatrixJobs = 256;

    private Target Affected => _ => _
        .Description("Lists the services changed since --base and why; writes artifacts/affected.json (and GITHUB_OUTPUT on GitHub Actions)")
        .Touches(() => AffectedEntries)
        .Executes(() =>
        {
            var changes = Changes;
            if (changes.All)
            {
                // Each reason ends "...: everything selected". Asked for with --all it is no news: the table says it.
                if (!All)
                {
                    Log.Warning(changes.AllReason!);
                }
            }
            else
            {
                Log.Info($"Compared with {changes.Base?[..Math.Min(12, changes.Base.Length)]} ({changes.BaseDescription}): {changes.ChangedFiles.Count} changed file(s).");
            }

            // Services with the same reasons (a global input affects them all) share one list of them.
            var table = new TextTable("Service", "Why");
            foreach (var group in changes.Services.GroupBy(s => string.Join("\n", s.Reasons)))
            {
                var reasons = group.First().Reasons;
                var names = string.Join(", ", group.Select(s => s.Name));
                for (var i = 0; i < reasons.Count; i++)
                {
                    table.AddRow(i == 0 ? names : "", reasons[i]);
                }
            }
            if (table.RowCount == 0)
            {
                // With --service the list holds only the named services: "no service" would read as none at all. 'shared'
                // is no service; its line follows.
                var named = Service?.Where(name => !name.Equals(AffectedResult.Shared, StringComparison.OrdinalIgnoreCase)).ToArray();
                if (Service is not { Length: > 0 })
                {
                    Log.Info("No service is affected.");
                }
                else if (named is { Length: > 0 })
                {
                    Log.Info($"Not affected: {string.Join(", ", named)} (--service narrows the list to {(named.Length == 1 ? "it" : "them")}).");
                }
                else if (changes.SharedProjects().Count == 0)
                {
                    Log.Info($"Nothing under '{AffectedResult.Shared}' is affected (--service narrows the list to it).");
                }
            }
            else
            {
                foreach (var line in table.FitTo(TextTable.TerminalWidth(EnvironmentVariables), 1, 0).Render())
                {
                    Log.Info(line);
                }
            }

            // CI's matrix has an entry for them (GitHubOutput): without this line it would name a job nothing here showed.
            if (changes.SharedProjects() is { Count: > 0 } shared)
            {
                InfoWrapped($"{AffectedResult.Shared}: {SharedList(shared)} ({shared.Count} affected project(s) outside the affected services' own); CI tests them in its '{AffectedResult.Shared}' job");
            }

            foreach (var (file, why) in changes.Ignored)
            {
                InfoWrapped($"{file}: affects nothing ({why})");
            }

            var path = Path.Combine(ArtifactsDirectory, "affected.json");
            Directory.CreateDirectory(ArtifactsDirectory);
            File.WriteAllText(path, changes.ToJson());
            // Named, not only counted: the table shows each service's own project, not its tests nor the shared ones.
            InfoWrapped($"{changes.Projects.Count} project(s) affected{(changes.Projects.Count > 0 ? ": " + ProjectList([.. changes.Projects], 8) : "")}; written to {Path.GetRelativePath(RootDirectory, path)}");

            // Said on every machine (helper-95: load and deploy showed only in GitHub's output file), so that what CI will
            // run can be read before a push; README.md, "CI", says which job each output runs.
            var written = GitHubOutput.Append(EnvironmentVariable(GitHubOutput.VariableName), changes, RootDirectory);
            // A space after each comma of the services' array (the same JSON) lets the line wrap to the terminal.
            var outputs = GitHubOutput.Lines(changes, RootDirectory).Select(line => line.Replace("\",\"", "\", \"", StringComparison.Ordinal));
            // CI's affected job runs without --service (helper-106 took a restricted run's outputs for CI's).
            var restricted = Service is { Length: > 0 } ? $" for --service {string.Join(',', Service)} (CI's affected job selects without it)" : "";
            InfoWrapped($"{(written ? "Step outputs" : "CI's step outputs would be")}{restricted}: {string.Join(" ", outputs)}");

            if (changes.MatrixEntries().Count > MaxMatrixJobs)
            {
                Log.Warning($"{changes.MatrixEntries().Count} matrix entries: GitHub allows at most {MaxMatrixJobs} jobs per matrix.");
            }
        });

    /// <summary>A note under the table, indented and wrapped to the terminal as the table is.</summary>
    private void InfoWrapped(string text)
    {
        var lines = TextTable.Wrap(text, TextTable.TerminalWidth(EnvironmentVariables) - 4);
        for (var i = 0; i < lines.Count; i++)
        {
            Log.Info((i == 0 ? "  " : "    ") + lines[i]);
        }
    }

    // Project names, not paths (affected.json has the paths); a long list is cut after the first few.
    private static string SharedList(List<string> projects) => ProjectList(projects, 4);

    // "AgentSystem.Worker, frontend and 3 more": a .csproj by its name, a package.json by its folder's.
    private static string ProjectList(List<string> projects, int shown)
    {
        var names = string.Join(", ", projects.Take(shown).Select(project => Path.GetFileName(project) == "package.json"
            ? Path.GetFileName(Path.GetDirectoryName(project)) : Path.GetFileNameWithoutExtension(project)));
        return projects.Count > shown ? $"{names} and {projects.Count - shown} more" : names;
    }
}
