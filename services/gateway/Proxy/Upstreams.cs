using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Proxy;

/// <summary>An upstream service: public paths under <paramref name="PublicPrefix"/> map to <paramref name="UpstreamPrefix"/> on <paramref name="BaseUrl"/>.</summary>
public sealed record Upstream(string Name, Uri BaseUrl, string PublicPrefix, string UpstreamPrefix)
{
    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private string BasePath => BaseUrl.AbsolutePath.TrimEnd('/');

    public Uri HealthUri => new(BaseUrl, BasePath + "/healthz");

    /// <summary><c>/api/tasks</c> + <paramref name="remainder"/> becomes <c>{base}/tasks</c> + remainder, the path kept as received.</summary>
    public Uri RequestUri(PathString remainder, QueryString query) =>
        new(BaseUrl.GetLeftPart(UriPartial.Authority) + BasePath + UpstreamPrefix + remainder.ToUriComponent() + query.ToUriComponent(), Verbatim);

    /// <summary>Maps a <c>Location</c> on the upstream (its path, or an absolute URL on it) to the public path; other values are kept.</summary>
    public string RewriteLocation(string location)
    {
        ArgumentNullException.ThrowIfNull(location);

        var path = location;
        if (Uri.TryCreate(location, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            if (Uri.Compare(absolute, BaseUrl, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
            {
                return location;
            }

            path = absolute.PathAndQuery + absolute.Fragment;
        }

        var prefix = BasePath + UpstreamPrefix;
        var matches = path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?' or '#');
        return matches ? PublicPrefix + path[prefix.Length..] : location;
    }
}

public sealed class Upstreams(IOptions<GatewayOptions> options)
{
    public Upstream Orchestrator { get; } = new("orchestrator", new Uri(options.Value.OrchestratorUrl), "/api/tasks", "/tasks");

    public Upstream Chat { get; } = new("chat", new Uri(options.Value.ChatUrl), "/api/chat", "/chat");

    public IEnumerable<Upstream> All => [Orchestrator, Chat];
}
