using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using AgentSystem.Contracts;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway;

public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    public static readonly TimeSpan MaxUpstreamTimeout = TimeSpan.FromMinutes(10);

    [Required, Url]
    public string OrchestratorUrl { get; set; } = "";

    [Required, Url]
    public string ChatUrl { get; set; } = "";

    /// <summary>
    /// Keys accepted as <c>X-Api-Key</c> or <c>Authorization: Bearer</c>, by name (<c>Gateway:ApiKeys:acme</c>; a JSON
    /// list's places are named <c>key-0</c>, ...: <see cref="Security.ApiKeyRing.NameOf"/>); in Kubernetes from a Secret
    /// (<c>Gateway__ApiKeys__0</c>, ...). A blank value revokes its key.
    /// </summary>
    public Dictionary<string, string> ApiKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How long an upstream may stay silent (YARP's activity timeout): until its response headers arrive, then between two
    /// reads of a body. An event stream stays open while events or keep-alives come within it.
    /// </summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = Limits.MaxRequestBodyBytes;

    /// <summary>
    /// Connections open at once on the gateway's address (Kestrel's limit, per address it listens on; one beyond it is
    /// closed at once). Each idle connection costs the gateway 10 to 20 KB: without a limit about 20,000 held idle, no
    /// key needed, took it past its open files and its memory, and it exited (helper-105). Sized for the pod's 256 MiB
    /// (4,096 idle: 92 to 175 MB, measured).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 4_096;

    /// <summary>
    /// Connections open at once from one client address (an IPv6 /64 counts as one: <see cref="Security.ClientAddress"/>),
    /// so one client cannot take all of <see cref="MaxConnections"/>; a <see cref="TrustedProxies"/> peer, which carries
    /// many clients, is held only to that.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerClient { get; set; } = 512;

    [ValidateObjectMembers]
    public RateLimitOptions RateLimit { get; set; } = new();

    [ValidateObjectMembers]
    public AuthFailureLimitOptions AuthFailureLimit { get; set; } = new();

    /// <summary>
    /// Proxies in front of the gateway (addresses or CIDR networks, e.g. an ingress controller's pod network
    /// <c>10.244.0.0/16</c>) whose <c>X-Forwarded-For</c> names the client. Empty (the default): the client is the
    /// connection's peer.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>
    /// Host names the gateway is reached under besides localhost and IP addresses, which are always served: no one else
    /// can point those at it. Any other name is refused (<see cref="Security.HostCheck"/>):
    /// DNS rebinding needs a name its attacker controls, whose page, re-pointed at the gateway's address, is the
    /// gateway's own origin for the browser, which then sends whatever key the page knows. An entry holds a name or
    /// several separated by commas (one environment variable can carry a list); "*" serves any host.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary><see cref="TrustedProxies"/> parsed (the start fails on an entry that is not an address or a network).</summary>
    public IReadOnlyList<IPNetwork> TrustedNetworks() => [.. TrustedProxies.Select(text => TryParseNetwork(text, out var network) ? network : throw new FormatException(text))];

    /// <summary>"10.0.0.0/8", "fd00::/8", or one address ("10.1.2.3").</summary>
    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        text = text?.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return false;
    }
}

/// <summary>
/// Per client address of each API key (<see cref="Security.ClientLimits"/>): a token bucket of <see cref="Burst"/>
/// requests refilled at <see cref="PermitsPerSecond"/>, and at most <see cref="MaxRequestsInFlight"/> at once.
/// </summary>
public sealed class RateLimitOptions
{
    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 50;

    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;

    /// <summary>Requests not yet answered in full; an open event stream is one until it ends.</summary>
    [Range(1, 1_000_000)]
    public int MaxRequestsInFlight { get; set; } = 100;
}

/// <summary>
/// Failed API keys per client address: <see cref="Failures"/> at once, then one more each <see cref="Window"/> /
/// <see cref="Failures"/>; beyond that the address gets 429 with Retry-After, whatever key it sends.
/// </summary>
public sealed class AuthFailureLimitOptions
{
    [Range(1, 10_000)]
    public int Failures { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification =
        "Validated by the source-generated GatewayOptionsValidator, which uses a trim-safe copy of the range, never by reflection over this attribute.")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Addresses tracked at most (about 100 bytes each).</summary>
    [Range(1, 10_000_000)]
    public int MaxClients { get; set; } = 10_000;
}

// Source-generated DataAnnotations validation: no reflection, so it survives trimming.
[OptionsValidator]
public sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>;
