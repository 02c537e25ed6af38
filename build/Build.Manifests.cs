using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build;

internal partial class Build
{
    private Target ValidateManifests => _ => _
        .Description("Renders every k8s/ overlay (kubectl kustomize) and checks its objects: strict schema, selectors, ports, images, probes, resources, pod security, network policies")
        .Touches(() => EveryServiceName)
        // The plan foresees it, as for the deploys' tools (helper-126: it said "run", then the run failed).
        .RunsBecause(() => ToolsMissing("kubectl"))
        .Executes(() =>
        {
            var catalog = ServiceCatalog.Load(RootDirectory, new Git(RootDirectory).ListFiles().Files);
            var reports = ManifestValidator.Validate(RootDirectory, catalog, new Kustomize(RootDirectory), CancellationToken);
            var problems = reports.SelectMany(r => r.Problems).ToList();
            foreach (var problem in problems)
            {
                Log.Error(problem.ToString());
            }

            if (problems.Count > 0)
            {
                Log.Info("");
            }

            foreach (var line in ManifestValidator.Summary(reports).Render())
            {
                Log.Info(line);
            }

            if (problems.Count > 0)
            {
                throw new TargetFailedException($"{problems.Count} manifest problem(s): each line above names the overlay, the file, the object and the field.");
            }

            Log.Success($"{reports.Count} overlay(s), {reports.Sum(r => r.Objects.Count)} objects: every check passed (rendered overlays in artifacts/kustomize/).");
        });
}
