using System.Globalization;
using System.Net;

namespace AgentSystem.Testing.Containers.Engine;

/// <summary>Where the Docker engine listens: a unix socket or a plain TCP address, as DOCKER_HOST names it.</summary>
public sealed class DockerEndpoint
{
    public const string EnvironmentVariable = "DOCKER_HOST";
    public const string DefaultUnixSocketPath = "/var/run/docker.sock";
    public const string DefaultAddress = "unix://" + DefaultUnixSocketPath;

    // Docker's own default for tcp:// without a port (plain HTTP).
    private const int DefaultTcpPort = 2375;

    private DockerEndpoint(string address, string? socketPath, string? host, int port)
    {
        Address = address;
        SocketPath = socketPath;
        TcpHost = host;
        TcpPort = port;
    }

    /// <summary>The address as the user wrote it, for messages.</summary>
    public string Address { get; }

    /// <summary>The unix socket path, or null for a TCP endpoint.</summary>
    public string? SocketPath { get; }

    public string? TcpHost { get; }

    public int TcpPort { get; }

    public bool IsUnixSocket => SocketPath is not null;

    /// <summary>
    /// The address tests use to reach published ports: loopback for a local engine, the engine's host for a remote one.
    /// </summary>
    public string PublishedPortHost => IsLoopback ? ContainerDefaults.LoopbackHost : TcpHost!;

    /// <summary>True when the engine runs on this machine, so ports can be published on loopback only.</summary>
    public bool IsLoopback =>
        IsUnixSocket
        || string.Equals(TcpHost, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(TcpHost, out var ip) && IPAddress.IsLoopback(ip));

    public static DockerEndpoint FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return Parse(string.IsNullOrWhiteSpace(value) ? DefaultAddress : value.Trim());
    }

    public static DockerEndpoint Parse(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = address["unix://".Length..];
            if (path.Length == 0)
            {
                throw new ArgumentException($"{EnvironmentVariable}={address} names no socket path.", nameof(address));
            }

            return new DockerEndpoint(address, path, null, 0);
        }

        if (address.StartsWith("tcp://", StringComparison.Ordinal) || address.StartsWith("http://", StringComparison.Ordinal))
        {
            var authority = address[(address.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
            var uri = new Uri("http://" + authority);
            // A colon after any IPv6 bracket means the port was written; Uri hides a written ":80" as the default.
            var hasPort = authority.LastIndexOf(':') > authority.LastIndexOf(']');
            return new DockerEndpoint(address, null, uri.IdnHost.Trim('[', ']'), hasPort ? uri.Port : DefaultTcpPort);
        }

        throw new ArgumentException(
            $"{EnvironmentVariable}={address} is not supported: use unix:///path/to/docker.sock or tcp://host:port " +
            "(TLS and ssh:// endpoints are not supported by this library).",
            nameof(address));
    }

    /// <summary>The base address HttpClient uses; for a socket the host part is never resolved.</summary>
    internal Uri HttpBaseAddress => IsUnixSocket
        ? new Uri("http://docker.sock/")
        : new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{TcpHost}:{TcpPort}/"));

    public override string ToString() => Address;
}
