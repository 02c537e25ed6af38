using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Build.Docker;

/// <summary>
/// The host side of a container's published ports, read from <c>docker ps</c>'s Ports column
/// ("127.0.0.1:8080->80/tcp, [::]:8080->80/tcp, 5432/tcp"). Not <c>docker ps --filter publish=N</c>: that matches the
/// container's port N, whatever host port it is published on (helper-127: every kind node matched 6443, and a kept
/// node holding host port 8080 through its port 30080 did not match 8080).
/// </summary>
public static class PublishedPorts
{
    /// <summary>docker ps's format for <see cref="Holders"/>: a container's name, a tab, its Ports column.</summary>
    public const string NamesAndPorts = "{{.Names}}\t{{.Ports}}";

    /// <summary>Each published port of a Ports column: the host address ("" for none), the host port, the protocol (lower case).</summary>
    public static IEnumerable<(string Address, int Port, string Protocol)> Parse(string column)
    {
        foreach (var entry in column.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var arrow = entry.IndexOf("->", StringComparison.Ordinal);
            var slash = entry.LastIndexOf('/');
            var colon = arrow < 0 ? -1 : entry.LastIndexOf(':', arrow);
            if (colon < 0 || slash < arrow)
            {
                continue;   // exposed, not published: "5432/tcp"
            }

            var address = entry[..colon].Trim('[', ']');
            var protocol = entry[(slash + 1)..].ToLowerInvariant();
            var range = entry[(colon + 1)..arrow].Split('-', StringSplitOptions.TrimEntries);
            if (!int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                continue;
            }

            var last = range.Length > 1 && int.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end) ? end : first;
            for (var port = first; port <= last; port++)
            {
                yield return (address, port, protocol);
            }
        }
    }

    /// <summary>
    /// The first column of those <paramref name="namesAndPorts"/> lines (docker ps's: a container's name, or any column
    /// without a tab, then a tab and its Ports column, as <see cref="NamesAndPorts"/>) that hold host
    /// <paramref name="port"/> (<see cref="Holds"/>).
    /// </summary>
    public static IReadOnlyList<string> Holders(string namesAndPorts, string address, int port, string protocol) =>
        [.. namesAndPorts.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .Where(parts => parts.Length == 2 && Holds(parts[1], address, port, protocol))
            .Select(parts => parts[0])];

    /// <summary>
    /// Whether a Ports column publishes host <paramref name="port"/> in <paramref name="protocol"/> where a socket on
    /// <paramref name="address"/> would bind: the same address, or either side on all of them.
    /// </summary>
    public static bool Holds(string portsColumn, string address, int port, string protocol) =>
        Parse(portsColumn).Any(p => p.Port == port && p.Protocol.Equals(protocol, StringComparison.OrdinalIgnoreCase) && Overlap(p.Address, address));

    /// <summary>
    /// Whether a port published on <paramref name="published"/> is one a socket on <paramref name="wanted"/> would need.
    /// Docker publishes each family on its own socket (its "::" one IPv6 only); a wanted "::" is dual-stack (kind's) and
    /// needs both. An address that is none (a name) is taken to overlap: a port wrongly called taken costs less than a
    /// deploy that fails minutes later.
    /// </summary>
    private static bool Overlap(string published, string wanted)
    {
        if (!IPAddress.TryParse(published.Length == 0 ? "0.0.0.0" : published, out var p) || !IPAddress.TryParse(wanted, out var w))
        {
            return true;
        }

        return w.Equals(IPAddress.IPv6Any)
            || p.Equals(IPAddress.IPv6Any) && (w.AddressFamily == AddressFamily.InterNetworkV6 || w.Equals(IPAddress.Any))
            || p.Equals(IPAddress.Any) && w.AddressFamily == AddressFamily.InterNetwork
            || w.Equals(IPAddress.Any) && p.AddressFamily == AddressFamily.InterNetwork
            || p.Equals(w);
    }
}
