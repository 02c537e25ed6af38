using System.Globalization;
using System.Net.Sockets;

namespace AgentSystem.Testing.Containers.Waits;

/// <summary>
/// A published TCP port answers from the host. Docker's userland proxy accepts on the host port even while nothing
/// listens in the container, and then closes at once; so a connection counts only if it stays open for a moment.
/// Optionally the port must also be listening inside the container (/proc/net/tcp, read with cat).
/// </summary>
public sealed class PortWaitStrategy(int containerPort, bool checkInside = false) : WaitStrategy
{
    /// <summary>How long a fresh connection must stay open to prove something behind the proxy accepted it.</summary>
    private static readonly TimeSpan ProxyCloseWindow = TimeSpan.FromMilliseconds(50);

    private const string ListenState = "0A";

    public override int? ContainerPort => containerPort;

    public override string Description =>
        $"TCP port {containerPort.ToString(CultureInfo.InvariantCulture)} to accept connections" + (checkInside ? " (and listen inside the container)" : string.Empty);

    public override async Task<WaitCheck> CheckAsync(DockerContainer container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        var hostPort = container.GetMappedPort(containerPort);
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await socket.ConnectAsync(container.Host, hostPort, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                return WaitCheck.NotReady($"connecting to {container.Host}:{hostPort.ToString(CultureInfo.InvariantCulture)}: {ex.SocketErrorCode}");
            }

            // Readable with 0 bytes = the peer closed: the proxy found nothing listening behind it.
            if (socket.Poll(ProxyCloseWindow, SelectMode.SelectRead) && socket.Available == 0)
            {
                return WaitCheck.NotReady($"{container.Host}:{hostPort.ToString(CultureInfo.InvariantCulture)} accepted and closed at once (nothing listens in the container yet)");
            }
        }

        if (!checkInside)
        {
            return WaitCheck.Ready;
        }

        var tables = await container.ExecAsync(["cat", "/proc/net/tcp", "/proc/net/tcp6"], cancellationToken).ConfigureAwait(false);
        return IsListening(tables.Stdout, containerPort)
            ? WaitCheck.Ready
            : WaitCheck.NotReady($"port {containerPort.ToString(CultureInfo.InvariantCulture)} not in LISTEN state in /proc/net/tcp");
    }

    /// <summary>True when a /proc/net/tcp table has a socket on the port in LISTEN state (local address "ip:PORT", state 0A).</summary>
    public static bool IsListening(string procNetTcp, int port)
    {
        ArgumentNullException.ThrowIfNull(procNetTcp);
        var suffix = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var line in procNetTcp.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[1].EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && fields[3] == ListenState)
            {
                return true;
            }
        }

        return false;
    }
}
