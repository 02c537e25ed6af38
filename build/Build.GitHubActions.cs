using AgentSystem.Build.Engine;
using AgentSystem.Build.GitHub;

namespace AgentSystem.Build;

internal partial class Build
{
    private Target GitHubActions => _ => _
        .Description("Generates .github/workflows/ci.yml")
        .Executes(() =>
        {
            var path = Path.Combine(RootDirectory, CiWorkflow.Path);
            var content = CiWorkflow.Generate();
            if (File.Exists(path) && File.ReadAllText(path) == content)
            {
                Log.Info($"{CiWorkflow.Path} is up to date.");
                return;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
            Log.Info($"Wrote {CiWorkflow.Path}: an 'affected' job, then one 'test' job per affected service (a matrix from its outputs).");
        });
}
