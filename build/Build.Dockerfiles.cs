using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build;

internal partial class Build
{
    private Target Dockerfiles => _ => _
        .Description("Writes each .NET service's Dockerfile from build/Docker/DotNetDockerfile.cs, the catalog and the project references")
        .Executes(() =>
        {
            var files = new Git(RootDirectory).ListFiles().Files;
            var graph = ProjectGraph.Load(RootDirectory, files);
            foreach (var service in ServiceCatalog.Load(RootDirectory, files).Services.Where(s => s.Kind == ServiceKind.Dotnet && s.Dockerfile is not null))
            {
                var path = Path.Combine(RootDirectory, service.Dockerfile!);
                var content = DotNetDockerfile.Render(service, graph);
                if (File.Exists(path) && File.ReadAllText(path) == content)
                {
                    Log.Info($"{service.Dockerfile} is up to date.");
                    continue;
                }

                File.WriteAllText(path, content);
                Log.Info($"Wrote {service.Dockerfile}.");
            }
        });
}
