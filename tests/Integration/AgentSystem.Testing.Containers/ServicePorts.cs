using System.Collections.Concurrent;
using System.Globalization;
using AgentSystem.Build.Tools;

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
    public static int Free()
    {
        var (lowest, below) = PickRange(EphemeralRange());
        return Free(lowest, below);
    }

    /// <summary>A port from <paramref name="lowest"/> up to <paramref name="below"/> (excluded), picked at random, then in order.</summary>
    internal static int Free(int lowest, int below)
    {
#pragma warning disable CA5394 // A spread, not a secret: two processes picking at once rarely meet.
        var start = Random.Shared.Next(lowest, below);
#pragma warning restore CA5394
        for (var i = 0; i < below - lowest; i++)
        {
            var port = lowest + ((start - lowest + i) % (below - lowest));
            if (!HandedOut.ContainsKey(port) && LocalPorts.CanListen(port) && HandedOut.TryAdd(port, 0))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free port from {lowest} to {below - 1}.");
    }

    /// <summary>The ports the kernel hands out on its own: Linux's setting, else its default (32768-60999), or IANA's elsewhere.</summary>
    public static (int Start, int End) EphemeralRange()
    {
        var fields = File.Exists(RangeFile) ? File.ReadAllText(RangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
        return fields.Length == 2
            && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            ? (start, end)
            : OperatingSystem.IsLinux() ? (32_768, 60_999) : (49_152, 65_535);
    }

    /// <summary>
    /// Where to pick from, outside <paramref name="ephemeral"/>: from <see cref="Lowest"/> up to its start, or above its
    /// end when it starts too low to leave room (a thousand ports at least).
    /// </summary>
    internal static (int Lowest, int Below) PickRange((int Start, int End) ephemeral)
    {
        const int Room = 1_000;
        if (ephemeral.Start >= Lowest + Room)
        {
            return (Lowest, ephemeral.Start);
        }

        return ephemeral.End + 1 + Room <= 65_536
            ? (Math.Max(ephemeral.End + 1, Lowest), 65_536)
            : throw new InvalidOperationException($"The kernel's ephemeral ports ({ephemeral.Start}-{ephemeral.End}) leave no room for fixed ones above {Lowest}.");
    }
}
