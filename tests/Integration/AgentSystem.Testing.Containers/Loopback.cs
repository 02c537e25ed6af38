using Docker.DotNet.Models;

namespace AgentSystem.Testing.Containers;

/// <summary>Publishes a container's ports on 127.0.0.1 only (Testcontainers binds every interface): tests never expose a database to the network.</summary>
internal static class Loopback
{
    public const string Address = "127.0.0.1";

    public static void Bind(CreateContainerParameters parameters)
    {
        foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(bindings => bindings) ?? [])
        {
            binding.HostIP = Address;
        }
    }
}
