using System.Globalization;
using System.Net;

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
            var range = entry[(colon + 1)..arrow].Split('-');
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
    /// The containers of <paramref name="namesAndPorts"/> (docker ps's <see cref="NamesAndPorts"/> lines) that hold host
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

    private static bool Overlap(string published, string wanted) =>
        IsAny(published) || IsAny(wanted)
        || (IPAddress.TryParse(published, out var a) && IPAddress.TryParse(wanted, out var b) ? a.Equals(b) : published == wanted);

    private static bool IsAny(string address) =>
        address.Length == 0 || (IPAddress.TryParse(address, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)));
}
