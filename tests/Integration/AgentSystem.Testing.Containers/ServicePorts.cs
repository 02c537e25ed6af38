using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Ports for services a test starts as processes: free now, below the kernel's ephemeral range, and never handed out
/// twice in this process. A port taken from the ephemeral range (a listener on port 0, closed) is free only until the
/// kernel gives it to someone else: another listener on port 0, or the source port of any outgoing connection, and
/// the test suites running beside each other open thousands. One CI run lost its whole system fixture to that: the
/// orchestrator, started seconds after its port was chosen, found it in use.
/// </summary>
public static class ServicePorts
{
    // Above the fixed ports this repository publishes (Dev's 15432 and 16379), which a Dev started while tests run
    // would want: the check that nothing listens sees only what is there when the port is picked.
    internal const int Lowest = 20_000;
    private const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";

    private static readonly ConcurrentDictionary<int, byte> HandedOut = new();

    /// <summary>A port nothing listens on now, outside the ephemeral range; throws when none is found.</summary>
    public static int Free() => Free(Lowest, EphemeralStart());

    /// <summary>A port from <paramref name="lowest"/> up to <paramref name="below"/> (excluded), picked at random, then in order.</summary>
    internal static int Free(int lowest, int below)
    {
#pragma warning disable CA5394 // A spread, not a secret: two processes picking at once rarely meet.
        var start = Random.Shared.Next(lowest, below);
#pragma warning restore CA5394
        for (var i = 0; i < below - lowest; i++)
        {
            var port = lowest + ((start - lowest + i) % (below - lowest));
            if (!HandedOut.ContainsKey(port) && IsFree(port) && HandedOut.TryAdd(port, 0))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free port from {lowest} to {below - 1}.");
    }

    /// <summary>The first port the kernel hands out on its own (32768 on Linux by default; 49152 elsewhere).</summary>
    public static int EphemeralStart() =>
        File.Exists(RangeFile) && int.TryParse(File.ReadAllText(RangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start) && start > Lowest + 1_000
            ? start
            : 49_152;

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
