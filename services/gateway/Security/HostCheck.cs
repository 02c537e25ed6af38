using System.Collections.Frozen;
using System.Net;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// Refuses a request for a host the gateway does not serve (<see cref="GatewayOptions.AllowedHosts"/>) with a 400,
/// before its key is looked at: a DNS-rebinding page reaching it from the user's browser gets nothing, whatever key it
/// sends (Dev and Compose publish their development key). The host checked is the one the gateway itself is addressed
/// under, not a proxy's X-Forwarded-Host. A request without a Host (HTTP/1.0) is no browser's and passes.
/// </summary>
public sealed class HostCheck(RequestDelegate next, IOptions<GatewayOptions> options)
{
    // Validated at the start (ApplicationServiceExtensions), so parsed here without a second message.
    private readonly AllowedHostNames _allowed = AllowedHostNames.TryParse(options.Value.AllowedHosts, out var names) ? names : throw new FormatException();

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var host = context.Request.Host;
        return !host.HasValue || _allowed.Serves(host.Host) ? next(context) : RefuseAsync(context, host.Host);
    }

    private static Task RefuseAsync(HttpContext context, string host) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Host not served",
            detail: $"This gateway does not serve the host \"{host}\": it serves localhost, names under .localhost, IP addresses and the names in Gateway:AllowedHosts.")
        .ExecuteAsync(context);
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
        return names.All(name => name == "*" || IsHostName(name));
    }

    /// <summary>Whether a request for <paramref name="host"/> (the Host header without its port) is served.</summary>
    public bool Serves(string host)
    {
        var name = WithoutTrailingDot(host);
        return _any
            || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || IsAddress(name)
            || _names.Contains(name);
    }

    private static bool IsAddress(string name) =>
        Uri.CheckHostName(name) is UriHostNameType.IPv4 || name is ['[', .., ']'] && IPAddress.TryParse(name[1..^1], out _);

    // Letters, digits, '-', '_' (Docker's service names) and dots; or an address.
    private static bool IsHostName(string name) =>
        IsAddress(name) || name.Length is > 0 and <= 253 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string WithoutTrailingDot(string name) => name.EndsWith('.') ? name[..^1] : name;
}
