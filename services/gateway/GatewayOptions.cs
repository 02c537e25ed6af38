using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway;

public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    public static readonly TimeSpan MaxUpstreamTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Used when <see cref="CorsOrigins"/> is empty: the frontend's development addresses.</summary>
    public static readonly IReadOnlyList<string> DefaultCorsOrigins = ["http://localhost:3000", "http://127.0.0.1:3000"];

    [Required, Url]
    public string OrchestratorUrl { get; set; } = "";

    [Required, Url]
    public string ChatUrl { get; set; } = "";

    /// <summary>Keys accepted as <c>X-Api-Key</c> or <c>Authorization: Bearer</c>; in Kubernetes from a Secret (<c>Gateway__ApiKeys__0</c>, ...).</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>
    /// How long an upstream may stay silent (YARP's activity timeout): until its response headers arrive, then between two
    /// reads of a body. An event stream stays open while events or keep-alives come within it.
    /// </summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, long.MaxValue)]
    // The largest task the API allows (100 jobs of 64 KiB, JSON-escaped) must fit; the orchestrator enforces the same 8 MiB.
    public long MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Browser origins allowed to call the gateway; <see cref="DefaultCorsOrigins"/> when empty.</summary>
    public string[] CorsOrigins { get; set; } = [];

    [ValidateObjectMembers]
    public RateLimitOptions RateLimit { get; set; } = new();

    public IReadOnlyList<string> EffectiveCorsOrigins => CorsOrigins.Length > 0 ? CorsOrigins : DefaultCorsOrigins;
}

/// <summary>A token bucket per API key: <see cref="Burst"/> requests at once, refilled at <see cref="PermitsPerSecond"/>.</summary>
public sealed class RateLimitOptions
{
    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 50;

    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;
}

// Source-generated DataAnnotations validation: no reflection, so it survives trimming.
[OptionsValidator]
public sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>;
