using AgentSystem.Build.Deploy;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    /// <summary>Who owns the fields the deploy applies (server-side apply).</summary>
    private const string FieldManager = "agentsystem-build";
    private const string DeployNamespace = "agentsystem";
    private const string KindClusterConfig = "k8s/overlays/kind/kind-cluster.yaml";

    [Parameter("Keep the cluster DeployKind/DeployMinikube created (deleted otherwise, after a failure and Ctrl+C too)")]
    private readonly bool KeepCluster;

    [Parameter("How long DeployKind/DeployMinikube wait for the databases, the migrations and then the services to be ready")]
    private readonly TimeSpan RolloutTimeout = IsServerBuild ? TimeSpan.FromMinutes(15) : TimeSpan.FromMinutes(10);

    /// <summary>Where the deploy looks for kind, minikube and docker: PATH (tests point it at their fakes).</summary>
    internal string? SearchPath { get; set; } = Environment.GetEnvironmentVariable("PATH");

    /// <summary>How often the deploy asks the cluster how its rollouts and the smoke test's task are doing.</summary>
    internal TimeSpan DeployPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    private IClusterTool? _clusterTool;
    private string? _kubectl;

    private string DeployArtifacts => Path.Combine(ArtifactsDirectory, "deploy");

    private Target KindPreflight => _ => _
        .Description("DeployKind's first step: kind on PATH and its version, Docker answering, kubectl on PATH, the cluster's host ports free")
        .Before(DockerEngine, Affected)
        .RunsBecause(() => ToolsMissing("kind", "kubectl"))
        .Executes(() =>
        {
            var kind = Kind("DeployKind")!;
            _clusterTool = CheckTool(kind, "DeployKind");
            Preflight.CheckHostPorts(kind.HostPorts(), "DeployKind", KindClusterConfig, RootDirectory, Preflight.Find("docker", SearchPath)!, port => PortAdvice(PortHolder.Of(port), port), CancellationToken);
        });

    private Target MinikubePreflight => _ => _
        .Description("DeployMinikube's first step: minikube on PATH and its version, Docker answering, kubectl on PATH")
        .Before(DockerEngine, Affected)
        .RunsBecause(() => ToolsMissing("minikube", "kubectl"))
        .Executes(() => _clusterTool = CheckTool(Minikube("DeployMinikube")!, "DeployMinikube"));

    private Target DeployKind => _ => _
        .Description("Deploys the system to a throwaway kind cluster: images loaded, manifests applied, rollouts watched, smoke test; then deletes it")
        .DependsOn(KindPreflight, DockerEngine, Images, BaseImages)
        .Touches(() => EveryServiceName)
        .Reads(() => KeepCluster, () => RolloutTimeout)
        .Validates(DeployOptionProblems)
        .Executes(cancellationToken => DeployAsync("kind", cancellationToken));

    private Target DeployMinikube => _ => _
        .Description("Deploys the system to a throwaway minikube cluster: images loaded, manifests applied, rollouts watched, smoke test; then deletes it")
        .DependsOn(MinikubePreflight, DockerEngine, Images, BaseImages)
        .Touches(() => EveryServiceName)
        .Reads(() => KeepCluster, () => RolloutTimeout)
        .Validates(DeployOptionProblems)
        .Executes(cancellationToken => DeployAsync("minikube", cancellationToken));

    /// <summary>Checked when the plan is made: a deploy that could not wait for anything would fail after the images.</summary>
    private IEnumerable<string> DeployOptionProblems()
    {
        if (RolloutTimeout <= TimeSpan.Zero)
        {
            yield return $"{GivenAs(nameof(RolloutTimeout))}: give more than 0 (10m, 90s): the deploy waits that long for the databases and the services";
        }
    }

    private Target DeleteClusters => _ => _
        .Description($"Deletes the kind and minikube clusters this checkout's deploys kept or left behind; lists other {ClusterNames.Prefix}* ones")
        .Executes(() =>
        {
            IClusterTool?[] tools = [Kind(null), Minikube(null)];
            var found = tools.OfType<IClusterTool>().ToList();
            if (found.Count == 0)
            {
                // Not "none can exist" (helper-129): a cluster kept before its tool left PATH runs on as Docker containers.
                Log.Info("Neither kind nor minikube is on PATH, so no cluster can be listed or deleted. A cluster made before its tool"
                    + " left PATH runs on as Docker containers: docker ps -a --filter label=io.x-k8s.kind.cluster (kind's nodes) or"
                    + " --filter label=name.minikube.sigs.k8s.io (minikube's) names them.");
            }

            var scratch = Path.Combine(RootDirectory, ".nuke", "temp", "delete-clusters.kubeconfig");
            Directory.CreateDirectory(Path.GetDirectoryName(scratch)!);
            var mine = ClusterNames.OfCheckout(RootDirectory);
            foreach (var tool in found)
            {
                var named = tool.Clusters(CancellationToken).Where(c => c.StartsWith(ClusterNames.Prefix, StringComparison.Ordinal)).ToList();
                var ours = named.Where(c => c.StartsWith(mine, StringComparison.Ordinal)).ToList();
                Log.Info($"{tool.Name}: {(ours.Count == 0 ? "no" : ours.Count)} cluster(s) of this checkout ({mine}*).");
                foreach (var cluster in ours)
                {
                    tool.Delete(cluster, scratch, CancellationToken);
                }

                // Another checkout's deploy may be running in one of them: a person decides.
                var others = named.Except(ours).ToList();
                if (others.Count > 0)
                {
                    Log.Info($"{tool.Name}: left {others.Count} other {ClusterNames.Prefix}* cluster(s), {ClusterNames.NotThisCheckouts}. Delete one with:");
                    others.ForEach(other => Log.Info("  " + tool.DeleteCommand(other)));
                }
            }
        });

    /// <summary>
    /// For --plan: the tools a target will not find, so that it fails (a deploy's preflight, ValidateManifests' kubectl),
    /// or null when all are there. Docker is never among them: DockerEngine starts the engine.
    /// </summary>
    private string? ToolsMissing(params string[] tools)
    {
        var missing = tools.Where(tool => Preflight.Find(tool, SearchPath) is null).ToList();
        return missing.Count == 0 ? null : $"will fail: {string.Join(" and ", missing)} not on PATH";
    }

    /// <summary>kind from the search path; when absent, null for DeleteClusters, or the preflight's failure for a deploy.</summary>
    private Kind? Kind(string? target) => Preflight.Find("kind", SearchPath) is { } path
        ? new Kind(path, DeployLog, Path.Combine(RootDirectory, KindClusterConfig))
        : target is null ? null : throw Preflight.Missing("kind", target, [Deploy.Kind.Install, .. OrTheOther("minikube", "DeployMinikube")]);

    private Minikube? Minikube(string? target) => Preflight.Find("minikube", SearchPath) is { } path
        ? new Minikube(path, DeployLog)
        : target is null ? null : throw Preflight.Missing("minikube", target, [Deploy.Minikube.Install, .. OrTheOther("kind", "DeployKind")]);

    /// <summary>The other cluster tool, when it is on PATH; when neither is, where a deploy runs without installing one (the new-user walk).</summary>
    private string[] OrTheOther(string tool, string target) => Preflight.Find(tool, SearchPath) is not null
        ? [$"or use {BuildScript.Command} {target} with {tool}."]
        : [$"The other target, {BuildScript.Command} {target}, needs {tool}, which is not on PATH either.", "In CI, the generated workflow's deploy-kind job installs a pinned kind on its GitHub runner and deploys there."];

    private string DeployLog => Path.Combine(DeployArtifacts, "cluster-tool.log");

    private IClusterTool CheckTool(IClusterTool tool, string target)
    {
        if (Registry.Length > 0)
        {
            throw new UsageException($"--registry names images for a registry; {target} loads the local images into its cluster: leave it out.");
        }

        var versions = Preflight.Check(tool, target, Preflight.Find("docker", SearchPath), CancellationToken);
        // The deploy renders the overlay with kubectl kustomize after the images are built: missing, it would fail only then.
        _kubectl = Preflight.Find("kubectl", SearchPath)
            ?? throw Preflight.Missing("kubectl", target, "The deploy renders the manifests with `kubectl kustomize`: install kubectl (https://kubernetes.io/docs/tasks/tools/).");
        Log.Info($"{target}: {versions}.");
        return tool;
    }

    private async Task DeployAsync(string overlay, CancellationToken cancellationToken)
    {
        BuildEveryImage();
        var images = _images.Values.Select(i => i.Image).Order(StringComparer.Ordinal).ToList();
        var objects = RenderForDeploy(overlay, images);
        // Not loaded: `kind load` fails on a multi-platform image pulled from a registry when the engine keeps images in
        // containerd (Docker Desktop, new installs of Docker 29: kind #3795), where the cluster's own pull works.
        var madeHere = _baseImages.Where(outcome => outcome.Reference == outcome.Image.Local).Select(outcome => outcome.Image.Official).ToHashSet(StringComparer.Ordinal);
        var missing = PulledByTheCluster(objects, images).Where(madeHere.Contains).ToList();
        if (missing.Count > 0)
        {
            Log.Warning($"The cluster pulls {string.Join(" and ", missing)} from their registry, which this machine did not use (BaseImages "
                + "made local equivalents instead): if the cluster cannot reach it either, its pods wait for them until the rollout times out.");
        }

        var settings = new DeploySettings(DeployNamespace, FieldManager, DeployArtifacts, KeepCluster, RolloutTimeout, TimeSpan.FromMinutes(3), DeployPollInterval);
        await new ClusterDeploy(_clusterTool!, settings).RunAsync(ClusterNames.New(RootDirectory), images, objects, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The images the rendered objects run beside the services' (PostgreSQL's, Redis's): the cluster pulls those itself.</summary>
    internal static List<string> PulledByTheCluster(IEnumerable<ManifestObject> objects, IEnumerable<string> services)
    {
        var ours = services.ToHashSet(StringComparer.Ordinal);
        return objects.Select(Workload.Of).OfType<Workload>().SelectMany(w => w.Containers).Select(c => c.Container.Image).OfType<string>()
            .Where(image => !ours.Contains(image)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The overlay with the tags this run built, read as ValidateManifests reads it; a problem stops the deploy before any cluster exists.</summary>
    private List<ManifestObject> RenderForDeploy(string overlay, IReadOnlyList<string> images)
    {
        var tags = images.Select(i => i.Split(':')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var (objects, problems) = ManifestReader.Read(new Kustomize(RootDirectory, _kubectl ?? "kubectl").Render(overlay, tags, CancellationToken), RootDirectory);
        if (problems.Count > 0)
        {
            throw new TargetFailedException($"k8s/overlays/{overlay} does not read cleanly ({string.Join("; ", problems)}); {BuildScript.Command} ValidateManifests says more.");
        }

        Log.Info($"Rendered k8s/overlays/{overlay} with this run's image tags: {objects.Count} object(s).");
        return objects;
    }
}
