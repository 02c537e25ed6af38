using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Build.Tools;

/// <summary>
/// Loopback ports a local run is about to listen on, checked before it starts anything. Linked into the tests' container
/// library too (its ServicePorts), so the check is one.
/// </summary>
public static class LocalPorts
{
    /// <summary>The command that names the containers publishing <paramref name="port"/> on the host.</summary>
    public static string ContainersCommand(int port) => $"docker ps --format '{{{{.Names}}}} {{{{.Ports}}}}' | grep ':{port}->'";

    /// <summary>The command that names the process listening on <paramref name="port"/>, on this system.</summary>
    public static string ProcessCommand(int port) =>
        OperatingSystem.IsWindows() ? $"netstat -ano | findstr :{port}"
        : OperatingSystem.IsLinux() ? $"ss -ltnp 'sport = :{port}'"
        : $"lsof -nP -iTCP:{port} -sTCP:LISTEN";

    /// <summary>The command that names the process bound to UDP <paramref name="port"/>, on this system.</summary>
    public static string UdpProcessCommand(int port) =>
        OperatingSystem.IsWindows() ? $"netstat -ano -p UDP | findstr :{port}"
        : OperatingSystem.IsLinux() ? $"ss -lunp 'sport = :{port}'"
        : $"lsof -nP -iUDP:{port}";

    /// <summary>Those of <paramref name="wanted"/> that something listens on already (binding <paramref name="address"/>, 127.0.0.1 by default, fails).</summary>
    public static List<(string Name, int Port)> InUse(IEnumerable<(string Name, int Port)> wanted, IPAddress? address = null) =>
        wanted.Where(entry => !CanListen(entry.Port, address)).ToList();

    /// <summary>Whether a listener could bind <paramref name="address"/> (127.0.0.1 by default) and <paramref name="port"/> now.</summary>
    public static bool CanListen(int port, IPAddress? address = null)
    {
        var listener = new TcpListener(address ?? IPAddress.Loopback, port);
        try
        {
            return Binds(listener.Start);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Whether a UDP socket could bind <paramref name="address"/> and <paramref name="port"/> now.</summary>
    public static bool CanBindUdp(int port, IPAddress address)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        return Binds(() => socket.Bind(new IPEndPoint(address, port)));
    }

    private static bool Binds(Action bind)
    {
        try
        {
            bind();
            return true;
        }
        catch (SocketException error) when (error.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
        catch (SocketException error) when (error.SocketErrorCode is SocketError.AddressNotAvailable)
        {
            // Not an address of this host: nothing here holds a port on it, and whoever binds it says why it cannot.
            return true;
        }
    }
}
