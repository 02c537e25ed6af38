using System.Globalization;
using System.Net;
using AgentSystem.Build.Engine;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// A tool that makes throwaway clusters on Docker (kind, minikube): the commands a deploy runs. Every command names
/// the cluster, and writes its credentials only to the kubeconfig file the deploy gives it, never the user's.
/// </summary>
public interface IClusterTool
{
    /// <summary>The executable's name on PATH: "kind", "minikube".</summary>
    string Name { get; }

    /// <summary>The other target to suggest when this tool is missing, and where to get this one.</summary>
    string InstallHint { get; }

    /// <summary>The kubeconfig context the tool names for a cluster ("kind-x" for kind, the profile for minikube).</summary>
    string ContextName(string cluster);

    /// <summary>The tool's version, as one line ("kind v0.27.0 ..."); null when it does not answer.</summary>
    string? Version(CancellationToken cancellationToken);

    void Create(string cluster, string kubeconfig, CancellationToken cancellationToken);

    void Load(string cluster, IReadOnlyList<string> images, CancellationToken cancellationToken);

    void Delete(string cluster, string kubeconfig, CancellationToken cancellationToken);

    /// <summary>The command a person types to delete <paramref name="cluster"/>.</summary>
    string DeleteCommand(string cluster);

    /// <summary>The names of every cluster the tool knows on this machine.</summary>
    IReadOnlyList<string> Clusters(CancellationToken cancellationToken);
}

/// <summary>Runs one tool by its resolved path; each command's whole output goes to the deploy's log.</summary>
public abstract class ClusterToolBase(string executable, string logFile) : IClusterTool
{
    public abstract string Name { get; }
    public abstract string InstallHint { get; }
    public abstract string ContextName(string cluster);
    public abstract void Create(string cluster, string kubeconfig, CancellationToken cancellationToken);
    public abstract void Load(string cluster, IReadOnlyList<string> images, CancellationToken cancellationToken);
    public abstract void Delete(string cluster, string kubeconfig, CancellationToken cancellationToken);
    public abstract string DeleteCommand(string cluster);
    public abstract IReadOnlyList<string> Clusters(CancellationToken cancellationToken);
    protected abstract string[] VersionArguments { get; }

    public string? Version(CancellationToken cancellationToken)
    {
        var result = ProcessRunner.Capture(executable, VersionArguments, cancellationToken: cancellationToken);
        var line = (result.Output + result.Error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return result.ExitCode == 0 ? line : null;
    }

    /// <summary>A command whose output the log keeps; fails the target with the log's tail when it fails.</summary>
    protected void Step(string title, IEnumerable<string> arguments, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null) =>
        LoggedStep.Run(title, logFile, executable, arguments, environment: environment, cancellationToken: cancellationToken);

    protected ProcessResult Capture(IEnumerable<string> arguments, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.Capture(executable, arguments, environment: environment, cancellationToken: cancellationToken);
}

/// <summary>kind: clusters are Docker containers; <c>--kubeconfig</c> keeps the credentials in the deploy's own file.</summary>
public sealed class Kind(string executable, string logFile, string clusterConfig) : ClusterToolBase(executable, logFile)
{
    public override string Name => "kind";
    public const string Install = "Install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation";
    public override string InstallHint => Install;
    protected override string[] VersionArguments => ["version"];

    public override string ContextName(string cluster) => "kind-" + cluster;

    public override void Create(string cluster, string kubeconfig, CancellationToken cancellationToken) =>
        Step($"kind: creating cluster {cluster}", ["create", "cluster", "--name", cluster, "--config", clusterConfig, "--kubeconfig", kubeconfig, "--wait", "120s"], cancellationToken);

    /// <summary>The host ports the cluster's config takes: <c>kind create</c> fails on one taken.</summary>
    public IReadOnlyList<HostPort> HostPorts() => HostPortsOf(File.ReadAllText(clusterConfig));

    /// <summary>
    /// Each node's <c>extraPortMappings</c> (its <c>hostPort</c> on its <c>listenAddress</c>, kind's default 0.0.0.0, ::
    /// for an IPv6 cluster, in its <c>protocol</c>, TCP by default), and <c>networking.apiServerPort</c> when set (on
    /// <c>apiServerAddress</c>, 127.0.0.1 by default, ::1 for an IPv6 cluster; unset, kind picks a free port). A port of
    /// 0 asks for any free one, so there is nothing to check; one that is no port fails here, as kind would.
    /// </summary>
    internal static List<HostPort> HostPortsOf(string config)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(config));
        var ports = new List<HostPort>();
        var root = yaml.Documents.FirstOrDefault()?.RootNode as YamlMappingNode;
        var networking = root is not null && root.Children.TryGetValue("networking", out var value) ? value as YamlMappingNode : null;
        // kind's defaults follow the cluster's IP family: all addresses and the loopback of IPv6 for an IPv6 cluster.
        var ipv6 = networking is not null && Scalar(networking, "ipFamily") is "ipv6";
        foreach (var node in Items(root, "nodes"))
        {
            foreach (var mapping in Items(node, "extraPortMappings"))
            {
                // As kind reads it: exactly these, an empty one TCP (it refuses "udp" only in kind create, after the images).
                var protocol = Scalar(mapping, "protocol") is { Length: > 0 } given ? given : "TCP";
                if (protocol is not ("TCP" or "UDP" or "SCTP"))
                {
                    throw new TargetFailedException($"The kind cluster's config gives protocol '{protocol}', which kind does not know (TCP, UDP or SCTP, in capitals).");
                }
                if (PortOf(mapping, "hostPort") is { } port)
                {
                    ports.Add(new HostPort(Scalar(mapping, "listenAddress") is { Length: > 0 } address ? address : ipv6 ? "::" : "0.0.0.0", port, protocol));
                }
            }
        }
        if (networking is not null && PortOf(networking, "apiServerPort") is { } apiPort)
        {
            ports.Add(new HostPort(Scalar(networking, "apiServerAddress") is { Length: > 0 } address ? address : ipv6 ? "::1" : "127.0.0.1", apiPort, "TCP", ApiServer: true));
        }

        return ports;

        static int? PortOf(YamlMappingNode parent, string key)
        {
            if (Scalar(parent, key) is not { } text)
            {
                return null;
            }
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
            {
                throw new TargetFailedException($"The kind cluster's config gives {key} '{text}', which is no port (1 to 65535, or 0 for any free one).");
            }
            return port > 0 ? port : null;
        }

        static IEnumerable<YamlMappingNode> Items(YamlMappingNode? parent, string key) =>
            parent is not null && parent.Children.TryGetValue(key, out var value) && value is YamlSequenceNode sequence ? sequence.OfType<YamlMappingNode>() : [];

        static string? Scalar(YamlMappingNode parent, string key) =>
            parent.Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
    }

    public override void Load(string cluster, IReadOnlyList<string> images, CancellationToken cancellationToken) =>
        Step($"kind: loading {images.Count} image(s)", ["load", "docker-image", .. images, "--name", cluster], cancellationToken);

    public override void Delete(string cluster, string kubeconfig, CancellationToken cancellationToken) =>
        Step($"kind: deleting cluster {cluster}", ["delete", "cluster", "--name", cluster, "--kubeconfig", kubeconfig], cancellationToken);

    public override string DeleteCommand(string cluster) => DeleteCommandLine(cluster);

    /// <summary>The command that deletes a kind cluster, for where no Kind is at hand (the port preflight names a node's cluster).</summary>
    public static string DeleteCommandLine(string cluster) => $"kind delete cluster --name {cluster}";

    public override IReadOnlyList<string> Clusters(CancellationToken cancellationToken)
    {
        var result = Capture(["get", "clusters"], cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new TargetFailedException($"kind get clusters failed: {result.Error.Trim()}");
        }

        return Lines(result.Output);
    }

    internal static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}

/// <summary>minikube: one profile per cluster, on the Docker driver; KUBECONFIG points it at the deploy's own file.</summary>
public sealed class Minikube(string executable, string logFile) : ClusterToolBase(executable, logFile)
{
    public override string Name => "minikube";
    public const string Install = "Install minikube: https://minikube.sigs.k8s.io/docs/start/";
    public override string InstallHint => Install;
    protected override string[] VersionArguments => ["version", "--short"];

    public override string ContextName(string cluster) => cluster;

    public override void Create(string cluster, string kubeconfig, CancellationToken cancellationToken) =>
        Step($"minikube: starting profile {cluster}", ["start", "--profile", cluster, "--driver", "docker", "--wait", "all"], cancellationToken, Kubeconfig(kubeconfig));

    public override void Load(string cluster, IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        // minikube image load takes one image per call.
        foreach (var image in images)
        {
            Step($"minikube: loading {image}", ["image", "load", image, "--profile", cluster], cancellationToken);
        }
    }

    public override void Delete(string cluster, string kubeconfig, CancellationToken cancellationToken) =>
        Step($"minikube: deleting profile {cluster}", ["delete", "--profile", cluster], cancellationToken, Kubeconfig(kubeconfig));

    public override string DeleteCommand(string cluster) => $"minikube delete --profile {cluster}";

    public override IReadOnlyList<string> Clusters(CancellationToken cancellationToken)
    {
        // "profile list -o json" fails when there is no profile at all; --light skips asking each cluster for its state.
        var result = Capture(["profile", "list", "--output", "json", "--light"], cancellationToken);
        if (result.ExitCode != 0 || result.Output.Trim().Length == 0)
        {
            return [];
        }

        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        return json.RootElement.TryGetProperty("valid", out var valid) && valid.ValueKind == System.Text.Json.JsonValueKind.Array
            ? valid.EnumerateArray().Select(p => p.GetProperty(ProfileNameField).GetString()!).ToList()
            : [];
    }

    /// <summary>A profile's name in <c>profile list --output json</c>.</summary>
    private const string ProfileNameField = "Name";

    private static Dictionary<string, string> Kubeconfig(string path) => new() { ["KUBECONFIG"] = path };
}

/// <summary>A host port a cluster's config takes: a node's port mapping (TCP, UDP or SCTP), or its API server's port.</summary>
public sealed record HostPort(string Address, int Port, string Protocol, bool ApiServer = false);
