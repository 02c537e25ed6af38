using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using AgentSystem.Build.Deploy;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Tests;

/// <summary>The deploy targets' first step as a user meets it: a missing tool or Docker is one message and exit code 1.</summary>
public sealed class DeployPreflightTests : IDisposable
{
    private const string KindConfig = "k8s/overlays/kind/kind-cluster.yaml";
    private static readonly string[] PlanOrder = ["KindPreflight", "DockerEngine", "BaseImages", "DeployKind"];
    private readonly List<FakeClusterTools> _tools = [];
    private readonly ManifestCopy _copy = new();
    private readonly int _gatewayHostPort = FreePort();

    public DeployPreflightTests()
    {
        // A build root: .nuke/, a git repository and the catalog, as the plan's conditions read them.
        Directory.CreateDirectory(Path.Combine(_copy.Root, ".nuke"));
        ProcessRunner.Capture("git", ["init", "-q"], _copy.Root);
        // The kind cluster's host ports, free ones: 8080 and 3000 may be a Dev run's on this machine.
        _copy.Edit(KindConfig, "hostPort: 8080", $"hostPort: {_gatewayHostPort}");
        _copy.Edit(KindConfig, "hostPort: 3000", $"hostPort: {FreePort()}");
    }

    /// <summary>A listener on 127.0.0.1, on a port the copy's kind config then maps for the gateway.</summary>
    private TcpListener HoldTheGatewayHostPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _copy.Edit(KindConfig, $"hostPort: {_gatewayHostPort}", $"hostPort: {((IPEndPoint)listener.LocalEndpoint).Port}");
        return listener;
    }

    private static int FreePort()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        foreach (var tools in _tools)
        {
            tools.Dispose();
        }

        _copy.Dispose();
    }

    private (int ExitCode, string Output) Run(FakeClusterTools tools, params string[] args)
    {
        _tools.Add(tools);
        var build = BuildBase.CreateAs<Build>(serverBuild: false);
        build.SearchPath = tools.Install().Folder;
        var writer = new StringWriter();
        Log.Out = writer;
        var exitCode = BuildHost.Run(build, [.. args, "--all"], new Dictionary<string, string>(), _copy.Root, ["Compile"], CancellationToken.None);
        return (exitCode, writer.ToString());
    }

    [Theory]
    [InlineData("DeployKind", "minikube", "or use ./build.sh DeployMinikube with minikube.")]
    [InlineData("DeployMinikube", "kind", "or use ./build.sh DeployKind with kind.")]
    public void A_missing_tool_points_to_the_other_target_when_its_tool_is_there(string target, string other, string hint)
    {
        var run = Run(new FakeClusterTools(tools: ["docker", other]), target);

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains(hint, run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not on PATH either", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeployKind", "kind", "https://kind.sigs.k8s.io/", "./build.sh DeployMinikube")]
    [InlineData("DeployMinikube", "minikube", "https://minikube.sigs.k8s.io/", "./build.sh DeployKind")]
    public void A_missing_tool_is_one_message_and_exit_code_1_before_anything_is_built(string target, string tool, string whereToGetIt, string otherTarget)
    {
        var run = Run(new FakeClusterTools(tools: "docker"), target);

        Assert.True(run.ExitCode == 1, run.Output);
        var message = $"{target} needs {tool}, and it is not installed (not found on PATH).";
        Assert.Single(run.Output.Split('\n'), line => line.Contains(message, StringComparison.Ordinal));
        // What to do comes on lines of their own under the problem, the address alone after "Install kind: ", not deep in one long line.
        Assert.Matches($@"(?m)^  Install {tool}: {Regex.Escape(whereToGetIt)}\S*\r?$", run.Output);
        var lines = run.Output.Split('\n').SkipWhile(line => !line.Contains(message, StringComparison.Ordinal)).ToList();
        var failure = lines.Take(1).Concat(lines.Skip(1).TakeWhile(line => line.StartsWith("  ", StringComparison.Ordinal))).ToList();
        Assert.True(failure.Count >= 3, run.Output);
        Assert.All(failure, line => Assert.True(line.Length <= 140, line));
        Assert.Contains(otherTarget, run.Output, StringComparison.Ordinal);
        Assert.Contains($"The other target, {otherTarget}, needs", run.Output, StringComparison.Ordinal);   // neither tool here: not a dead end
        Assert.Contains("deploy-kind job", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{tool} not found on PATH", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"DockerEngine +NotRun", run.Output);
        Assert.Matches(@"BaseImages +NotRun", run.Output);
        // --continue would build the images for a deploy that cannot run (helper-133): not offered.
        Assert.Matches($@"Images +NotRun +\S+ +stopped: only for {target}, which cannot run", run.Output);
        Assert.DoesNotContain("--continue runs it", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeployKind", "kind")]
    [InlineData("DeployMinikube", "minikube")]
    public void Without_kubectl_the_deploy_stops_before_anything_is_built(string target, string tool)
    {
        var run = Run(new FakeClusterTools(tools: [tool, "docker"]), target);

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Single(run.Output.Split('\n'), line => line.Contains($"{target} needs kubectl, and it is not installed (not found on PATH).", StringComparison.Ordinal));
        Assert.Contains("kubectl kustomize", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("--skip ValidateManifests", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"BaseImages +NotRun", run.Output);
    }

    [Fact]
    public void Docker_not_answering_is_one_message_with_what_docker_said()
    {
        var run = Run(new FakeClusterTools { DockerAnswers = false }, "DeployKind");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains("DeployKind needs Docker, and the Docker engine does not answer (Cannot connect to the Docker daemon", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KindPreflight", "DeployKind: kind v0.27.0 go1.23.4 linux/amd64; Docker 24.0.7.")]
    [InlineData("MinikubePreflight", "DeployMinikube: v1.35.0; Docker 24.0.7.")]
    public void With_the_tool_and_Docker_it_prints_their_versions(string target, string expected)
    {
        var run = Run(new FakeClusterTools(), target);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(expected, run.Output, StringComparison.Ordinal);
    }

    /// <summary>helper-122: kind create fails on a taken host port, after the images were built; the README only said "must be free".</summary>
    [Fact]
    public void A_taken_host_port_of_the_kind_cluster_stops_the_deploy_before_anything_is_built()
    {
        using var listener = HoldTheGatewayHostPort();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var run = Run(new FakeClusterTools(), "DeployKind");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains($"DeployKind's cluster maps 127.0.0.1:{port} to its node ({KindConfig}), and that port is taken.", run.Output, StringComparison.Ordinal);
        Assert.Contains($"  It is pid {Environment.ProcessId}: ", run.Output, StringComparison.Ordinal);   // this test holds it
        Assert.Matches(@"BaseImages +NotRun", run.Output);
    }

    [Fact]
    public void The_kind_clusters_host_ports_are_read_from_its_config()
    {
        Assert.Equal([new("127.0.0.1", 8080, "TCP"), new Deploy.HostPort("127.0.0.1", 3000, "TCP")], Deploy.Kind.HostPortsOf(RepositoryFiles.Read(KindConfig)));
        // kind's defaults: any address and TCP when none is given; a port of 0 is any free one, nothing to check.
        var config = "nodes:\n  - role: control-plane\n    extraPortMappings:\n      - { containerPort: 80, hostPort: 8081 }\n"
            + "      - { containerPort: 81, hostPort: 0 }\n      - { containerPort: 53, hostPort: 5353, protocol: UDP }\n  - role: worker\n"
            + "networking:\n  apiServerPort: 6443\n";
        Assert.Equal([new("0.0.0.0", 8081, "TCP"), new("0.0.0.0", 5353, "UDP"), new Deploy.HostPort("127.0.0.1", 6443, "TCP", ApiServer: true)],
            Deploy.Kind.HostPortsOf(config));
        Assert.Equal([new Deploy.HostPort("0.0.0.0", 8081, "TCP")],
            Deploy.Kind.HostPortsOf(config.Replace("6443", "0", StringComparison.Ordinal).Replace("hostPort: 5353", "hostPort: 0", StringComparison.Ordinal)));
        var failure = Assert.Throws<TargetFailedException>(() => Deploy.Kind.HostPortsOf(config.Replace("8081", "80800", StringComparison.Ordinal)));
        Assert.Contains("hostPort '80800', which is no port", failure.Message, StringComparison.Ordinal);
        failure = Assert.Throws<TargetFailedException>(() => Deploy.Kind.HostPortsOf(config.Replace("6443", "api", StringComparison.Ordinal)));
        Assert.Contains("apiServerPort 'api', which is no port", failure.Message, StringComparison.Ordinal);
        failure = Assert.Throws<TargetFailedException>(() => Deploy.Kind.HostPortsOf(config.Replace("protocol: UDP", "protocol: udp", StringComparison.Ordinal)));
        Assert.Contains("protocol 'udp', which kind does not know", failure.Message, StringComparison.Ordinal);   // kind create refuses it too
        Assert.Equal([new("::", 8081, "TCP"), new("::", 5353, "UDP"), new Deploy.HostPort("::1", 6443, "TCP", ApiServer: true)],
            Deploy.Kind.HostPortsOf(config + "  ipFamily: ipv6\n"));
    }

    /// <summary>helper-123's LOW: a UDP mapping was probed as TCP, so a TCP listener on it stopped the deploy.</summary>
    [Fact]
    public void A_udp_mapping_is_taken_by_a_udp_socket_and_not_by_a_tcp_listener()
    {
        using var listener = HoldTheGatewayHostPort();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _copy.Edit(KindConfig, "protocol: TCP", "protocol: UDP");

        var freeForUdp = Run(new FakeClusterTools(), "KindPreflight");
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
        var taken = Run(new FakeClusterTools(), "KindPreflight");

        Assert.True(freeForUdp.ExitCode == 0, freeForUdp.Output);
        Assert.True(taken.ExitCode == 1, taken.Output);
        Assert.Contains($"DeployKind's cluster maps 127.0.0.1:{port}/udp to its node", taken.Output, StringComparison.Ordinal);
        Assert.Contains($"{LocalPorts.UdpProcessCommand(port)} names it", taken.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_taken_api_server_port_is_named_with_its_setting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _copy.Edit(KindConfig, "name: agentsystem\n", $"name: agentsystem\nnetworking:\n  apiServerPort: {port}\n");

        var run = Run(new FakeClusterTools(), "KindPreflight");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains($"DeployKind's cluster serves its API on 127.0.0.1:{port} (networking.apiServerPort in {KindConfig}), and that port is taken.",
            run.Output, StringComparison.Ordinal);
        Assert.Contains("Or set another apiServerPort there, or remove it: kind then picks a free port.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_listener_on_127_0_0_1_takes_a_port_the_cluster_maps_on_all_addresses()
    {
        using var listener = HoldTheGatewayHostPort();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _copy.Edit(KindConfig, "listenAddress: 127.0.0.1", "listenAddress: \"::\"");

        var run = Run(new FakeClusterTools(), "KindPreflight");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains($"DeployKind's cluster maps [::]:{port} to its node", run.Output, StringComparison.Ordinal);
    }

    /// <summary>An engine without its userland proxy publishes a container's port with no listener on it.</summary>
    [Fact]
    public void A_host_port_a_container_publishes_is_taken_too_and_another_port_is_not()
    {
        var taken = Run(new FakeClusterTools { Publishing = { [$"{_gatewayHostPort}/tcp"] = "other-gateway-1" } }, "DeployKind");
        var elsewhere = Run(new FakeClusterTools { Publishing = { [$"{_gatewayHostPort + 1}/tcp"] = "other-gateway-1" } }, "KindPreflight");

        Assert.True(taken.ExitCode == 1, taken.Output);
        Assert.Contains($"127.0.0.1:{_gatewayHostPort} to its node ({KindConfig}), and that port is taken.", taken.Output, StringComparison.Ordinal);
        Assert.Contains("  The container other-gateway-1 publishes it: stop it if it is yours.", taken.Output, StringComparison.Ordinal);
        Assert.True(elsewhere.ExitCode == 0, elsewhere.Output);
    }

    /// <summary>helper-123: DeployKind --keep-cluster, then DeployKind again; stopping the kept node would leave a broken cluster.</summary>
    [Fact]
    public void A_host_port_a_kept_cluster_holds_points_to_DeleteClusters()
    {
        var cluster = ClusterNames.OfCheckout(_copy.Root) + "12070901-ab12";

        var run = Run(new FakeClusterTools { Publishing = { [$"{_gatewayHostPort}/tcp"] = cluster + "-control-plane" } }, "DeployKind");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains($"  It is the node of {cluster}, a cluster a deploy kept: ./build.sh DeleteClusters removes it.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_port_another_checkouts_cluster_holds_is_left_to_a_person()
    {
        const string Cluster = "agentsystem-0a0b0c-12070901-ab12";

        var run = Run(new FakeClusterTools { Publishing = { [$"{_gatewayHostPort}/tcp"] = Cluster + "-control-plane" } }, "DeployKind");

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains($"  It is the node of {Cluster}, made by another checkout (its deploy may be running) or by a build from before clusters carried their checkout's tag: kind delete cluster --name {Cluster} removes it.",
            run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("DeleteClusters", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_registry_is_refused_before_anything_is_built()
    {
        var run = Run(new FakeClusterTools(), "DeployKind", "--registry", "ghcr.io/owner");

        Assert.True(run.ExitCode == BuildHost.UsageExitCode, run.Output);
        Assert.Contains("--registry names images for a registry; DeployKind loads the local images into its cluster: leave it out.", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"BaseImages +NotRun", run.Output);
    }

    [Fact]
    public void The_preflight_runs_before_docker_and_the_images()
    {
        var run = Run(new FakeClusterTools(), "DeployKind", "--plan");

        Assert.True(run.ExitCode == 0, run.Output);
        // Each target's row (its name also appears in the reasons of the rows before it: "run (for DeployKind)").
        var rows = PlanOrder.Select(t => System.Text.RegularExpressions.Regex.Match(run.Output, $@"(?m)^\d+\s+{t}\s")).ToList();
        Assert.True(rows.All(row => row.Success) && rows.Select(row => row.Index).SequenceEqual(rows.Select(row => row.Index).Order()), run.Output);
    }

    /// <summary>helper-112: the plan of a deploy on a machine without its tool said nothing of it; the preflight stopped the run.</summary>
    [Theory]
    [InlineData("DeployKind", "KindPreflight", "kind")]
    [InlineData("DeployMinikube", "MinikubePreflight", "minikube")]
    public void The_plan_says_the_preflight_will_fail_when_a_tool_is_missing(string target, string preflight, string tool)
    {
        var missing = Run(new FakeClusterTools(tools: "docker"), target, "--plan");
        var present = Run(new FakeClusterTools(), target, "--plan");

        Assert.True(missing.ExitCode == 0, missing.Output);
        // The reason may wrap in the plan's column: words apart by any white space.
        Assert.Matches($@"(?m)^\d+\s+{preflight}\s+run\s+\(will\s+fail:\s+{tool}\s+and\s+kubectl\s+not\s+on\s+PATH\)", missing.Output);
        Assert.Matches($@"(?m)^\d+\s+{preflight}\s+run \(for {target}\)", present.Output);
    }

    /// <summary>helper-110: the deploys' Services cell was blank, though they deploy every service.</summary>
    [Theory]
    [InlineData("DeployKind")]
    [InlineData("DeployMinikube")]
    public void The_plan_says_a_deploy_touches_every_service(string target)
    {
        var run = Run(new FakeClusterTools(), target, "--plan");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches($@"(?m)^\d+\s+{target}\s.*\sall \d+\s*$", run.Output);
    }

    /// <summary>Another checkout's deploy on the same engine may be running in its cluster: it is listed, not deleted.</summary>
    [Fact]
    public void DeleteClusters_deletes_this_checkouts_clusters_with_each_tool_and_lists_the_others()
    {
        var ours = ClusterNames.OfCheckout(_copy.Root) + "12010600-ab12";
        var tools = new FakeClusterTools { Existing = [ours, "production", "agentsystem-0a0b0c-12010601-cd34", "agentsystem-12010602-ef56"] };

        var run = Run(tools, "DeleteClusters");

        Assert.True(run.ExitCode == 0, run.Output);
        var deletes = tools.Recorded.Where(l => l.Contains(" delete ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, deletes.Count);
        Assert.Contains(deletes, d => d.StartsWith($"kind delete cluster --name {ours}", StringComparison.Ordinal));
        Assert.Contains(deletes, d => d.StartsWith($"minikube delete --profile {ours}", StringComparison.Ordinal));
        Assert.Contains("  kind delete cluster --name agentsystem-0a0b0c-12010601-cd34", run.Output, StringComparison.Ordinal);
        Assert.Contains("  minikube delete --profile agentsystem-12010602-ef56", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("production", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void DeleteClusters_without_either_tool_says_so_and_succeeds()
    {
        var run = Run(new FakeClusterTools(tools: "docker"), "DeleteClusters");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Neither kind nor minikube is on PATH", run.Output, StringComparison.Ordinal);
    }
}
