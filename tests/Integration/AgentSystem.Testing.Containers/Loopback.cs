using Docker.DotNet.Models;

namespace AgentSystem.Testing.Containers;

/// <summary>Publishes a container's ports on 127.0.0.1 only (Testcontainers binds every interface): tests never expose a database to the network.</summary>
internal static class Loopback
{
    public const string Address = "127.0.0.1";

    /// <summary>
    /// Whether an engine at <paramref name="endpoint"/> publishes ports where this machine's 127.0.0.1 reaches them: a
    /// socket or pipe, or TCP to a loopback address. An engine elsewhere (tcp://host:2376, ssh://) puts them on its own
    /// machine's loopback, out of reach, and every start would wait out its timeout.
    /// </summary>
    public static bool Reaches(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        // Uri.IsLoopback: localhost, 127.0.0.0/8 and ::1.
        return endpoint.Scheme is "unix" or "npipe" || (endpoint.Scheme is "tcp" or "http" or "https" && endpoint.IsLoopback);
    }

    public static void Bind(CreateContainerParameters parameters)
    {
        foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(bindings => bindings) ?? [])
        {
            binding.HostIP = Address;
        }
    }
}
