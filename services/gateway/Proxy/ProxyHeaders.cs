using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace AgentSystem.Gateway.Proxy;

/// <summary>Which headers cross the gateway, both ways.</summary>
public static class ProxyHeaders
{
    public const string RequestId = "X-Request-Id";
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";

    // RFC 9110 section 7.6.1: these describe one connection, not the message; Proxy-* are matched by prefix.
    private static readonly FrozenSet<string> HopByHop = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.Connection, HeaderNames.KeepAlive, HeaderNames.TE, HeaderNames.Trailer, HeaderNames.TransferEncoding, HeaderNames.Upgrade);

    // The gateway sets these itself, or keeps them: the API key (either header) ends at the gateway. The trace context:
    // HttpClient injects the gateway's own Activity, a child of the caller's traceparent, and would not overwrite a copied one.
    private static readonly FrozenSet<string> NotCopied = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.Host, HeaderNames.Authorization, "X-Api-Key", RequestId, ForwardedFor, ForwardedProto, ForwardedHost,
        HeaderNames.TraceParent, HeaderNames.TraceState, HeaderNames.Baggage, HeaderNames.RequestId, HeaderNames.CorrelationContext);

    public static void CopyRequestHeaders(HttpContext context, HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);

        var headers = context.Request.Headers;
        var listed = ConnectionTokens(headers.Connection);
        foreach (var (name, values) in headers)
        {
            if (IsHopByHop(name, listed) || NotCopied.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        var remote = context.Connection.RemoteIpAddress;
        var client = remote is { IsIPv4MappedToIPv6: true } ? remote.MapToIPv4() : remote;
        string?[] forwardedFor = [.. headers[ForwardedFor], client?.ToString()];
        request.Headers.TryAddWithoutValidation(ForwardedFor, string.Join(", ", forwardedFor.Where(value => !string.IsNullOrWhiteSpace(value))));
        request.Headers.TryAddWithoutValidation(ForwardedProto, context.Request.Scheme);
        request.Headers.TryAddWithoutValidation(ForwardedHost, context.Request.Host.Value);
        request.Headers.TryAddWithoutValidation(RequestId, context.TraceIdentifier);
    }

    public static void CopyResponseHeaders(HttpResponseMessage source, HttpResponse response, Upstream upstream)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(upstream);

        var listed = ConnectionTokens(source.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection) ? connection.ToString() : default);
        foreach (var (name, values) in source.Headers.NonValidated.Concat(source.Content.Headers.NonValidated))
        {
            if (IsHopByHop(name, listed) || name.Equals(RequestId, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            response.Headers[name] = name.Equals(HeaderNames.Location, StringComparison.OrdinalIgnoreCase)
                ? upstream.RewriteLocation(values.ToString())
                : new StringValues([.. values]);
        }
    }

    private static bool IsHopByHop(string name, HashSet<string> listedInConnection) =>
        HopByHop.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) || listedInConnection.Contains(name);

    private static HashSet<string> ConnectionTokens(StringValues connection) =>
        new(connection.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)), StringComparer.OrdinalIgnoreCase);
}
