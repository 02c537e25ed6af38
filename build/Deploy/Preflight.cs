using System.Net;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// What a deploy needs before it builds anything: the cluster tool on PATH and answering, and a Docker engine the
/// tool can run its nodes on. Each failure is one message, what is wrong on its first line and what to do on the lines
/// after it (a URL or a command on a line of its own rather than deep in one long line), and fails the target (exit code 1).
/// </summary>
public static class Preflight
{
    /// <summary>The full path of <paramref name="name"/> in the first folder of <paramref name="searchPath"/> holding it.</summary>
    public static string? Find(string name, string? searchPath)
    {
        var names = OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd" } : [name];
        return (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(folder => names.Select(n => Path.Combine(folder, n)))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Checks the tool (found, its version) and Docker (its server answers); returns the tool's version line.</summary>
    public static string Check(IClusterTool tool, string target, string? docker, CancellationToken cancellationToken)
    {
        var version = tool.Version(cancellationToken)
            ?? throw new TargetFailedException(Lines($"{tool.Name} is on PATH but `{tool.Name} version` failed; reinstall it.", tool.InstallHint), $"{tool.Name} does not answer");
        if (docker is null)
        {
            throw new TargetFailedException(Lines($"{target} needs Docker: {tool.Name} runs the cluster's nodes as containers, but docker is not on PATH.",
                "Install Docker (https://docs.docker.com/engine/install/) and start it."), "docker not found");
        }

        var server = ProcessRunner.Capture(docker, ["version", "--format", "{{.Server.Version}}"], cancellationToken: cancellationToken);
        if (server.ExitCode != 0 || server.Output.Trim().Length == 0)
        {
            throw new TargetFailedException(Lines($"{target} needs Docker, and the Docker engine does not answer ({FirstLine(server.Error)}).",
                $"Start Docker (or, as root on Debian/Ubuntu, {BuildScript.Command} DockerEngine) and try again."), "Docker does not answer");
        }

        return $"{version}; Docker {server.Output.Trim()}";
    }

    /// <summary>
    /// Each of the cluster's host ports (<paramref name="ports"/>, from <paramref name="config"/>) free: <c>kind create</c>
    /// fails on a taken one, minutes into a deploy. Taken means something listens on it (binds it, for UDP), or a container
    /// publishes it (an engine without its userland proxy publishes with no listener). <paramref name="holderAdvice"/> says
    /// who holds a TCP port.
    /// </summary>
    public static void CheckHostPorts(IEnumerable<HostPort> ports, string target, string config, string checkout, string docker,
        Func<int, string> holderAdvice, CancellationToken cancellationToken)
    {
        var published = ProcessRunner.Capture(docker, ["ps", "--format", PublishedPorts.NamesAndPorts], cancellationToken: cancellationToken).Output;
        foreach (var hostPort in ports)
        {
            var (address, port, protocol) = (hostPort.Address, hostPort.Port, hostPort.Protocol.ToLowerInvariant());
            var containers = PublishedPorts.Holders(published, address, port, protocol);
            var listenerHoldsIt = IPAddress.TryParse(address, out var ip) && !Free(ip, port, protocol);
            if (containers.Count > 0 || listenerHoldsIt)
            {
                var where = (ip is null ? $"{address}:{port}" : new IPEndPoint(ip, port).ToString()) + (protocol == "tcp" ? "" : "/" + protocol);
                var holder = containers.Count > 0 ? PublishedBy(containers, checkout)
                    : protocol == "tcp" ? holderAdvice(port)
                    : $"Stop what holds it: {LocalPorts.UdpProcessCommand(port)} names it.";
                var (what, change) = hostPort.ApiServer
                    ? ($"serves its API on {where} (networking.apiServerPort in {config})", "Or set another apiServerPort there, or remove it: kind then picks a free port.")
                    : ($"maps {where} to its node ({config})", "Or map another hostPort there (the README's addresses for the kept cluster change with it).");
                throw new TargetFailedException(Lines($"{target}'s cluster {what}, and that port is taken.", holder, change), $"{where} is taken");
            }
        }
    }

    /// <summary>
    /// Whether nothing on this host holds <paramref name="port"/> on <paramref name="address"/>. kind binds "::"
    /// dual-stack, where an IPv6-only probe misses a listener on an IPv4 address. SCTP is not probed: the engine's
    /// containers are what would hold it.
    /// </summary>
    private static bool Free(IPAddress address, int port, string protocol)
    {
        return FreeOn(address) && (!address.Equals(IPAddress.IPv6Any) || FreeOn(IPAddress.Any));

        bool FreeOn(IPAddress on) => protocol switch
        {
            "tcp" => LocalPorts.CanListen(port, on),
            "udp" => LocalPorts.CanBindUdp(port, on),
            _ => true,
        };
    }

    /// <summary>
    /// Who publishes a port: most likely a cluster an earlier deploy kept (its node, NAME-control-plane), which stopping
    /// the container would leave broken. DeleteClusters removes this checkout's whole; another checkout's, a person decides.
    /// </summary>
    private static string PublishedBy(IReadOnlyList<string> containers, string checkout)
    {
        const string NodeSuffix = "-control-plane";
        var node = containers.FirstOrDefault(c => c.StartsWith(ClusterNames.Prefix, StringComparison.Ordinal) && c.EndsWith(NodeSuffix, StringComparison.Ordinal));
        if (node is null)
        {
            return $"The container {string.Join(", ", containers)} publishes it: stop it if it is yours.";
        }

        var cluster = node[..^NodeSuffix.Length];
        return cluster.StartsWith(ClusterNames.OfCheckout(checkout), StringComparison.Ordinal)
            ? $"It is the node of {cluster}, a cluster a deploy kept: {BuildScript.Command} DeleteClusters removes it."
            : $"It is the node of {cluster}, {ClusterNames.NotThisCheckouts}: {Kind.DeleteCommandLine(cluster)} removes it.";
    }

    /// <summary>The failure for a tool not on PATH, then what to do: where to get it, or the other target.</summary>
    public static TargetFailedException Missing(string name, string target, params string[] remedies) =>
        new(Lines($"{target} needs {name}, and it is not installed (not found on PATH).", remedies), $"{name} not found on PATH");

    /// <summary>The problem, then each remedy on an indented line of its own.</summary>
    private static string Lines(string problem, params string[] remedies) => string.Concat([problem, .. remedies.Select(r => "\n  " + r)]);

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no output";
}
