using AgentSystem.Build.Deploy;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

/// <summary>The repository's kind overlay rendered once, with this run's image tags, for every deploy test.</summary>
public sealed class RenderedKindOverlay : IDisposable
{
    private readonly ManifestCopy _copy = new();

    public static readonly string[] Images = ["agentsystem/chat:abc123", "agentsystem/frontend:abc123", "agentsystem/gateway:abc123", "agentsystem/orchestrator:abc123", "agentsystem/worker:abc123"];

    public RenderedKindOverlay()
    {
        var tags = Images.Select(i => i.Split(':')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var (objects, problems) = ManifestReader.Read(new Kustomize(_copy.Root).Render("kind", tags), _copy.Root);
        Assert.Empty(problems);
        Objects = objects;
    }

    public IReadOnlyList<ManifestObject> Objects { get; }

    public void Dispose() => _copy.Dispose();
}

/// <summary>Which images the cluster pulls itself: all but the services', which the deploy loads.</summary>
public sealed class ClusterPullTests(RenderedKindOverlay overlay) : IClassFixture<RenderedKindOverlay>
{
    [Fact]
    public void The_cluster_pulls_the_catalogs_infrastructure_images_and_none_of_the_services()
    {
        var official = InfrastructureEntry.ReadAll(RepositoryFiles.Read(ServiceCatalog.FileName)).ToDictionary(e => e.Name, e => e.Image);

        Assert.Equal([official["postgres"], official["redis"]], Build.PulledByTheCluster(overlay.Objects, RenderedKindOverlay.Images));
    }
}

/// <summary>
/// The deploy flow against recording fakes of kind and minikube and a stub API server: the commands and requests in
/// order, the waits, the failures with their diagnostics, Ctrl+C, the context guard, and the cluster deleted in each case.
/// </summary>
public sealed class ClusterDeployTests(RenderedKindOverlay overlay) : IClassFixture<RenderedKindOverlay>, IAsyncLifetime, IDisposable
{
    private const string Cluster = "agentsystem-12010610-beef";
    private readonly StubApiServer _api = StubApiServer.Start();
    private readonly StubApiServer _other = StubApiServer.Start();
    private readonly string _artifacts = Directory.CreateTempSubdirectory("deploy-artifacts-").FullName;
    private readonly StringWriter _log = new();
    private FakeClusterTools? _tools;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _other.DisposeAsync();
        _tools?.Dispose();
        Directory.Delete(_artifacts, recursive: true);
    }

    public void Dispose() => _log.Dispose();

    private string Folder => Path.Combine(_artifacts, Cluster);

    private IClusterTool Tool(string name, bool omitOwnContext = false, bool createFails = false, string? server = null)
    {
        _tools = new FakeClusterTools(server ?? _api.Url, _other.Url) { OmitOwnContext = omitOwnContext, CreateFails = createFails }.Install();
        var log = Path.Combine(_artifacts, "cluster-tool.log");
        return name == "kind"
            ? new Kind(Path.Combine(_tools.Folder, "kind"), log, "k8s/overlays/kind/kind-cluster.yaml")
            : new Minikube(Path.Combine(_tools.Folder, "minikube"), log);
    }

    private Task Deploy(IClusterTool tool, bool keep = false, TimeSpan? rollout = null, CancellationToken cancellationToken = default)
    {
        // Log.Out flows with the test's own execution, so it is set here rather than in InitializeAsync.
        Log.Out = _log;
        return new ClusterDeploy(tool, new DeploySettings("agentsystem", "agentsystem-build", _artifacts, keep, rollout ?? TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20)))
            .RunAsync(Cluster, RenderedKindOverlay.Images, overlay.Objects, cancellationToken);
    }

    private List<string> Requests => [.. _api.Requests];

    private void AssertDeleted(string deleteCommand)
    {
        Assert.Equal(deleteCommand, _tools!.Recorded[^1]);
        Assert.Empty(_other.Requests);
    }

    [Fact]
    public async Task Kind_creates_loads_exactly_the_images_applies_in_two_waves_smoke_tests_and_deletes()
    {
        var tool = Tool("kind");

        await Deploy(tool);

        var kubeconfig = Path.Combine(Folder, "kubeconfig");
        Assert.Equal(
        [
            $"kind create cluster --name {Cluster} --config k8s/overlays/kind/kind-cluster.yaml --kubeconfig {kubeconfig} --wait 120s",
            $"kind load docker-image {string.Join(' ', RenderedKindOverlay.Images)} --name {Cluster}",
            $"kind delete cluster --name {Cluster} --kubeconfig {kubeconfig}",
        ], _tools!.Recorded);
        Assert.False(File.Exists(kubeconfig));
        Assert.Empty(_other.Requests);

        var requests = Requests;
        // Every object applied once, server-side, by the build's field manager; the namespace first.
        Assert.Equal(overlay.Objects.Count, _api.Applied.Count);
        Assert.All(_api.Applied, r => Assert.EndsWith("?fieldManager=agentsystem-build&force=true", r, StringComparison.Ordinal));
        Assert.StartsWith("PATCH /api/v1/namespaces/agentsystem?", requests[0], StringComparison.Ordinal);
        // The Deployments only after the databases and migrations were seen ready; the smoke test after them.
        var firstDeployment = requests.FindIndex(r => r.StartsWith("PATCH /apis/apps/v1/namespaces/agentsystem/deployments/", StringComparison.Ordinal));
        var lastOther = requests.FindLastIndex(r => r.StartsWith("PATCH", StringComparison.Ordinal) && !r.Contains("/deployments/", StringComparison.Ordinal));
        var jobsSeen = requests.FindIndex(r => r.StartsWith("GET /apis/batch/v1/namespaces/agentsystem/jobs", StringComparison.Ordinal));
        Assert.True(lastOther < jobsSeen && jobsSeen < firstDeployment, string.Join('\n', requests));
        // Each kind at the resource path of its group, version and plural.
        Assert.Contains("PATCH /apis/batch/v1/namespaces/agentsystem/jobs/orchestrator-migrate?fieldManager=agentsystem-build&force=true", requests);
        Assert.Contains("PATCH /apis/autoscaling/v2/namespaces/agentsystem/horizontalpodautoscalers/gateway?fieldManager=agentsystem-build&force=true", requests);
        Assert.Contains("PATCH /apis/networking.k8s.io/v1/namespaces/agentsystem/networkpolicies/default-deny?fieldManager=agentsystem-build&force=true", requests);
        Assert.Contains("PATCH /apis/apps/v1/namespaces/agentsystem/statefulsets/postgres?fieldManager=agentsystem-build&force=true", requests);
        Assert.Contains(requests, r => r.StartsWith("PATCH /api/v1/namespaces/agentsystem/configmaps/agentsystem-config-", StringComparison.Ordinal));
        var smoke = requests.Where(r => r.Contains("/proxy/", StringComparison.Ordinal)).ToList();
        Assert.Equal("POST /api/v1/namespaces/agentsystem/services/gateway:8080/proxy/api/tasks", smoke[0]);
        Assert.Equal("POST /api/v1/namespaces/agentsystem/services/gateway:8080/proxy/api/chat", smoke[^1]);
        Assert.True(requests.IndexOf(smoke[0]) > requests.FindLastIndex(r => r.StartsWith("PATCH", StringComparison.Ordinal)));
        Assert.Contains("the system runs and answers", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Minikube_starts_a_profile_with_its_own_kubeconfig_loads_each_image_and_deletes_the_profile()
    {
        var tool = Tool("minikube");

        await Deploy(tool);

        Assert.Equal(
        [
            $"minikube start --profile {Cluster} --driver docker --wait all",
            .. RenderedKindOverlay.Images.Select(i => $"minikube image load {i} --profile {Cluster}"),
            $"minikube delete --profile {Cluster}",
        ], _tools!.Recorded);
        Assert.Equal(overlay.Objects.Count, _api.Applied.Count);
        Assert.Empty(_other.Requests);
    }

    [Fact]
    public async Task Crash_loops_while_dependencies_start_are_waited_out()
    {
        var tool = Tool("kind");
        var polls = 0;
        // The orchestrator crash-loops for its first five looks, as it does while PostgreSQL starts.
        _api.Ready = key => key != "Deployment/orchestrator" || Interlocked.Increment(ref polls) > 5;

        await Deploy(tool);

        Assert.Contains("orchestrator-0/orchestrator CrashLoopBackOff, 3 restart(s)", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.EndsWith("/proxy/api/chat", StringComparison.Ordinal));
        AssertDeleted($"kind delete cluster --name {Cluster} --kubeconfig {Path.Combine(Folder, "kubeconfig")}");
    }

    [Fact]
    public async Task A_rollout_past_its_deadline_fails_with_diagnostics_and_the_cluster_is_deleted()
    {
        var tool = Tool("kind");
        _api.Ready = key => key != "Deployment/gateway";

        var failure = await Assert.ThrowsAsync<TargetFailedException>(() => Deploy(tool, rollout: TimeSpan.FromMilliseconds(300)));

        Assert.Contains("services: not ready within 0.3s: Deployment/gateway 0/1", failure.Message, StringComparison.Ordinal);
        Assert.Contains("gateway-0/gateway: CrashLoopBackOff, 3 restart(s); last exit 1 (Error): back-off 40s restarting failed container", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("Warning BackOff Pod/gateway-0: Back-off restarting failed container", File.ReadAllText(Path.Combine(Folder, "events.txt")), StringComparison.Ordinal);
        Assert.Contains("name: gateway", File.ReadAllText(Path.Combine(Folder, "objects.yaml")), StringComparison.Ordinal);
        Assert.Equal("log of gateway-0/gateway", File.ReadAllText(Path.Combine(Folder, "logs", "gateway-0_gateway.log")));
        Assert.Equal("log of gateway-0/gateway (previous)", File.ReadAllText(Path.Combine(Folder, "logs", "gateway-0_gateway.previous.log")));
        Assert.False(File.Exists(Path.Combine(Folder, "logs", "chat-0_chat.previous.log")));
        Assert.DoesNotContain(_api.Requests, r => r.Contains("/proxy/", StringComparison.Ordinal));
        AssertDeleted($"kind delete cluster --name {Cluster} --kubeconfig {Path.Combine(Folder, "kubeconfig")}");
    }

    [Fact]
    public async Task A_smoke_test_with_a_wrong_result_fails_with_diagnostics_and_the_cluster_is_deleted()
    {
        var tool = Tool("minikube");
        _api.WrongResults = true;

        var failure = await Assert.ThrowsAsync<TargetFailedException>(() => Deploy(tool));

        Assert.Contains("Smoke test: task task-1 ended 'succeeded': wordcount(one two three four five) gave succeeded '0', expected '5'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("pod logs:", failure.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Folder, "events.txt")));
        Assert.True(File.Exists(Path.Combine(Folder, "logs", "gateway-0_gateway.log")));
        AssertDeleted($"minikube delete --profile {Cluster}");
    }

    [Fact]
    public async Task Ctrl_C_during_the_rollout_stops_the_deploy_and_still_deletes_the_cluster()
    {
        var tool = Tool("kind");
        _api.Ready = key => !key.StartsWith("Deployment/", StringComparison.Ordinal);
        using var ctrlC = new CancellationTokenSource();
        _api.OnRequest = request => { if (request.StartsWith("GET /apis/apps/v1/namespaces/agentsystem/deployments", StringComparison.Ordinal)) { ctrlC.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Deploy(tool, cancellationToken: ctrlC.Token));

        Assert.Contains($"Interrupted: deleting cluster {Cluster} (--keep-cluster keeps it).", _log.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Folder, "events.txt")));
        AssertDeleted($"kind delete cluster --name {Cluster} --kubeconfig {Path.Combine(Folder, "kubeconfig")}");
    }

    [Fact]
    public async Task The_context_guard_refuses_a_kubeconfig_without_the_created_clusters_context_and_touches_no_other()
    {
        var tool = Tool("kind", omitOwnContext: true);

        var failure = await Assert.ThrowsAsync<TargetFailedException>(() => Deploy(tool));

        Assert.Contains($"Context guard: {Path.Combine(Folder, "kubeconfig")} has no context 'kind-{Cluster}' (it has: other)", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
        AssertDeleted($"kind delete cluster --name {Cluster} --kubeconfig {Path.Combine(Folder, "kubeconfig")}");
    }

    [Fact]
    public async Task A_failed_create_still_deletes_what_it_left()
    {
        var tool = Tool("kind", createFails: true);

        var failure = await Assert.ThrowsAsync<TargetFailedException>(() => Deploy(tool));

        Assert.Contains("kind: creating cluster", failure.Message, StringComparison.Ordinal);
        Assert.Contains("node(s) never became ready", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"Creating the cluster failed: deleting cluster {Cluster}", _log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_tools!.Recorded, r => r.StartsWith("kind load", StringComparison.Ordinal));
        AssertDeleted($"kind delete cluster --name {Cluster} --kubeconfig {Path.Combine(Folder, "kubeconfig")}");
    }

    /// <summary>The new-user walk: an API server that did not answer printed a 25-line stack trace and no hint.</summary>
    [Fact]
    public async Task An_api_server_that_does_not_answer_is_named_with_what_to_check_and_the_cluster_is_deleted()
    {
        var tool = Tool("kind", server: "http://127.0.0.1:1");

        var failure = await Assert.ThrowsAsync<TargetFailedException>(() => Deploy(tool));

        Assert.StartsWith("The cluster's API server at http://127.0.0.1:1", failure.Message, StringComparison.Ordinal);
        Assert.Contains("docker ps", failure.Message, StringComparison.Ordinal);
        Assert.Equal("kind's API server does not answer", failure.Note);
        AssertDeleted($"kind delete cluster --name {Cluster} --kubeconfig {Path.Combine(Folder, "kubeconfig")}");
    }

    [Fact]
    public async Task Keep_cluster_keeps_it_and_its_kubeconfig_and_says_how_to_reach_it()
    {
        var tool = Tool("kind");

        await Deploy(tool, keep: true);

        Assert.DoesNotContain(_tools!.Recorded, r => r.StartsWith("kind delete", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Folder, "kubeconfig")));
        Assert.Contains($"export KUBECONFIG={Path.Combine(Folder, "kubeconfig")}", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains($"Delete it with: kind delete cluster --name {Cluster} (or ./build.sh DeleteClusters, every cluster of this checkout)", _log.ToString(), StringComparison.Ordinal);
        // kind's own mappings hold 127.0.0.1:8080 and :3000: a port-forward takes other local ports.
        Assert.Contains("port-forward svc/gateway 18080:8080", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:8080 (the API)", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_names_carry_their_checkouts_tag_and_differ()
    {
        var checkout = Directory.CreateTempSubdirectory("clone-a-").FullName;
        var other = Directory.CreateTempSubdirectory("clone-b-").FullName;
        try
        {
            var names = Enumerable.Range(0, 20).Select(_ => ClusterNames.New(checkout)).ToList();

            Assert.All(names, n => Assert.Matches("^agentsystem-[0-9a-f]{6}-[0-9]{8}-[0-9a-f]{4}$", n));
            Assert.All(names, n => Assert.StartsWith(ClusterNames.OfCheckout(checkout), n, StringComparison.Ordinal));
            Assert.True(names.Distinct().Count() > 1);
            // Kept in the checkout, so a clone elsewhere, or a container with the same path, has its own.
            var tag = File.ReadAllText(Path.Combine(checkout, ".nuke", "temp", "cluster-tag"));
            Assert.Equal($"agentsystem-{tag}-", ClusterNames.OfCheckout(checkout));
            Assert.NotEqual(ClusterNames.OfCheckout(checkout), ClusterNames.OfCheckout(other));
            File.WriteAllText(Path.Combine(checkout, ".nuke", "temp", "cluster-tag"), "edited");
            Assert.Matches("^agentsystem-[0-9a-f]{6}-$", ClusterNames.OfCheckout(checkout));
        }
        finally
        {
            Directory.Delete(checkout, recursive: true);
            Directory.Delete(other, recursive: true);
        }
    }
}
