using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// Refuses a request for a host the gateway does not serve (<see cref="GatewayOptions.AllowedHosts"/>) with a 400,
/// before its key is looked at: a DNS-rebinding page reaching it from the user's browser gets nothing, whatever key it
/// sends (Dev and Compose publish their development key). The host checked is the one the gateway itself is addressed
/// under, not a proxy's X-Forwarded-Host. A request without a Host (HTTP/1.0) is no browser's and passes. Not ASP.NET's
/// host filtering (the top-level AllowedHosts setting): it cannot serve every IP address, which probes and NodePorts use.
/// </summary>
public sealed partial class HostCheck(RequestDelegate next, IOptions<GatewayOptions> options, ILogger<HostCheck> logger)
{
    private const long LogIntervalMs = 60_000;

    // Validated at the start (ApplicationServiceExtensions), so parsed here without a message of its own.
    private readonly AllowedHostNames _allowed = AllowedHostNames.TryParse(options.Value.AllowedHosts, out var names)
        ? names
        : throw new FormatException("Gateway:AllowedHosts holds an entry that is no host name.");

    // So that the first refusal is logged; compared by subtraction from now, which cannot overflow (helper-128: from
    // long.MinValue, now - last wrapped negative and nothing was ever logged).
    private long _lastLogged = Environment.TickCount64 - LogIntervalMs;

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var host = context.Request.Host;
        return !host.HasValue || _allowed.Serves(host.Host) ? next(context) : RefuseAsync(context, host.Host);
    }

    private Task RefuseAsync(HttpContext context, string host)
    {
        // A line so that a missing entry shows, at most one a minute: a hostile page can send as many as it likes.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogged);
        if (last <= now - LogIntervalMs && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
        {
            LogRefused(logger, host, context.TraceIdentifier);
        }

        return TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Host not served",
            detail: $"This gateway does not serve the host \"{host}\": it serves localhost, IP addresses and the names in Gateway:AllowedHosts.")
        .ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a request for host {Host} (request {RequestId}): not localhost, an IP address or a name in Gateway:AllowedHosts. Other refusals within a minute are not logged")]
    private static partial void LogRefused(ILogger logger, string host, string requestId);
}

/// <summary>The host names a gateway serves: <see cref="GatewayOptions.AllowedHosts"/>, and those no one else can point at it.</summary>
public sealed class AllowedHostNames
{
    private readonly bool _any;
    private readonly FrozenSet<string> _names;

    private AllowedHostNames(bool any, IEnumerable<string> names) => (_any, _names) = (any, names.ToFrozenSet(StringComparer.OrdinalIgnoreCase));

    /// <summary>The configured entries, each a name or names separated by commas; false on one that is no host name.</summary>
    public static bool TryParse(IEnumerable<string> entries, out AllowedHostNames allowed)
    {
        var names = entries.SelectMany(entry => entry.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        allowed = new AllowedHostNames(names.Contains("*"), names.Select(WithoutTrailingDot));
        return names.All(name => name == "*" || IsHostName(WithoutTrailingDot(name)));
    }

    /// <summary>Whether a request for <paramref name="host"/> (the Host header without its port) is served.</summary>
    public bool Serves(string host)
    {
        var name = WithoutTrailingDot(host);
        return _any || name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IsAddress(name) || _names.Contains(name);
    }

    /// <summary>
    /// An IPv4 address as browsers send one (four decimal parts: they rewrite "0x7f.1" and "2130706433" so), or an IPv6
    /// address in brackets.
    /// </summary>
    private static bool IsAddress(string name) =>
        name is ['[', .., ']']
            ? IPAddress.TryParse(name[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
            : IPAddress.TryParse(name, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && v4.ToString() == name;

    // Labels of letters, digits, '-' and '_' (Docker's service names) between dots; or an address.
    private static bool IsHostName(string name) =>
        IsAddress(name) || name.Length is > 0 and <= 253 && name.Split('.').All(label =>
            label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    private static string WithoutTrailingDot(string name) => name.EndsWith('.') ? name[..^1] : name;
}
