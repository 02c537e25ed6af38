using AgentSystem.Build.Engine;

namespace AgentSystem.Build;

partial class Build
{
    Target Affected => _ => _
        .Description("Lists the services changed since --base and why; writes artifacts/affected.json")
        .Touches(() => AffectedServiceNames)
        .Executes(() =>
        {
            var changes = Changes;
            if (changes.All)
            {
                Log.Warning($"Everything selected: {changes.AllReason}");
            }
            else
            {
                Log.Info($"Compared with {changes.Base?[..Math.Min(12, changes.Base.Length)]} ({changes.BaseDescription}): {changes.ChangedFiles.Count} changed file(s).");
            }

            var table = new TextTable("Service", "Why");
            foreach (var service in changes.Services)
            {
                for (var i = 0; i < service.Reasons.Count; i++) table.AddRow(i == 0 ? service.Name : "", service.Reasons[i]);
            }
            if (table.RowCount == 0) Log.Info("No service is affected.");
            else foreach (var line in table.Render()) Log.Info(line);

            foreach (var (file, why) in changes.Ignored) Log.Info($"  {file}: affects nothing ({why})");
            var path = Path.Combine(ArtifactsDirectory, "affected.json");
            Directory.CreateDirectory(ArtifactsDirectory);
            File.WriteAllText(path, changes.ToJson());
            Log.Info($"{changes.Projects.Count} project(s) affected; written to {Path.GetRelativePath(RootDirectory, path)}");
        });
}
