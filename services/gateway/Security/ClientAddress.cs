using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Gateway.Security;

public static class ClientAddress
{
    /// <summary>
    /// The client a limit applies to: an IPv4 address (also when mapped into IPv6), or an IPv6 /64 network, what one
    /// host is usually given. "unknown" without an address (an in-process test server).
    /// </summary>
    public static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }
}
