using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Build.Tools;

/// <summary>
/// Loopback ports a local run is about to listen on, checked before it starts anything. Linked into the tests' container
/// library too (its ServicePorts), so the check is one.
/// </summary>
public static class LocalPorts
{
    /// <summary>Those of <paramref name="wanted"/> that something listens on already (binding 127.0.0.1 fails).</summary>
    public static List<(string Name, int Port)> InUse(IEnumerable<(string Name, int Port)> wanted) =>
        wanted.Where(entry => !CanListen(entry.Port)).ToList();

    /// <summary>Whether a listener could bind 127.0.0.1:<paramref name="port"/> now.</summary>
    public static bool CanListen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException error) when (error.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
