using System.Globalization;
using System.Threading.RateLimiting;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// The limits on each client of an API key: the key's name with <see cref="ClientAddress.Key"/> of the request's
/// address (a trusted proxy's <c>X-Forwarded-For</c> already applied). The web UI's users all send the frontend's key,
/// so a limit per key alone let one browser spend everyone's share.
/// <list type="bullet">
/// <item>Requests in flight (<see cref="RateLimitOptions.MaxRequestsInFlight"/>), the global limiter on the proxied
/// routes: an open event stream counts until it ends. It is taken first, so a request the rate then refuses hands its place back.</item>
/// <item>A token bucket (<see cref="RateLimitOptions.Burst"/>, <see cref="RateLimitOptions.PermitsPerSecond"/>), the
/// <see cref="RatePolicy"/> of every proxied route. A request refused for being one too many in flight takes no token.</item>
/// </list>
/// Requests without a valid key are left to authentication (401, and <see cref="AuthFailureLimiter"/>).
/// </summary>
public static class ClientLimits
{
    public const string RatePolicy = "per-client";

    /// <summary>The problem type of every 429 (ASP.NET's defaults give types to the other statuses, not to this one).</summary>
    public const string TooManyRequestsType = "https://tools.ietf.org/html/rfc6585#section-4";

    public static void Configure(RateLimiterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(InFlight);
        options.AddPolicy(RatePolicy, Rate);
        options.OnRejected = OnRejectedAsync;
    }

    private static readonly object ClientItem = new();

    /// <summary>
    /// "key-0 203.0.113.7": whom a request's limits count against, and whose turn its jobs wait for in the queue
    /// (<see cref="ClientId"/>); null without a valid key. Made once per request: both limiters and the proxy ask.
    /// </summary>
    public static string? ClientOf(HttpContext context)
    {
        if (context.Items.TryGetValue(ClientItem, out var known))
        {
            return (string?)known;
        }

        var client = context.User.Identity is { IsAuthenticated: true, Name: { } key } ? $"{key} {ClientAddress.Key(context.Connection.RemoteIpAddress)}" : null;
        context.Items[ClientItem] = client;
        return client;
    }

    private static RateLimitOptions Options(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimit;

    private static RateLimitPartition<string> InFlight(HttpContext context)
    {
        // Only the proxied routes: /api/info, which the page polls for its status badge, must not read as "the gateway is
        // unreachable" while a client's streams hold its places (helper-56).
        if (context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName != RatePolicy || ClientOf(context) is not { } client)
        {
            return RateLimitPartition.GetNoLimiter("");
        }

        var limit = Options(context);
        return RateLimitPartition.GetConcurrencyLimiter(client, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = limit.MaxRequestsInFlight,
            QueueLimit = 0,
        });
    }

    private static RateLimitPartition<string> Rate(HttpContext context)
    {
        // Authorization runs first on these routes, so a request here has a key; none would be authentication's to refuse.
        if (ClientOf(context) is not { } client)
        {
            return RateLimitPartition.GetNoLimiter("");
        }

        var limit = Options(context);
        return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Burst,
            TokensPerPeriod = limit.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        });
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        // Only the token bucket knows when a request would pass; a place in flight frees whenever a request ends.
        var byRate = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
        var seconds = byRate ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        var detail = byRate
            ? $"The rate limit for this API key from this address is exceeded; retry after {seconds} s."
            : $"This address has {Options(rejected.HttpContext).MaxRequestsInFlight} requests in flight with this API key (an open event stream counts until it ends); retry when one has ended.";
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: byRate ? "Too many requests" : "Too many requests in flight",
            detail: detail,
            type: TooManyRequestsType).ExecuteAsync(rejected.HttpContext);
    }
}
