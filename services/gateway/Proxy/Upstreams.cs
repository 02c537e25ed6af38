using System.Net;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// An upstream service: the YARP cluster <paramref name="Name"/>, one destination at <paramref name="BaseUrl"/>, spoken to
/// in <paramref name="HttpVersion"/> and in nothing else (2.0: HTTP/2 without TLS, prior knowledge).
/// </summary>
public sealed record Upstream(string Name, Uri BaseUrl, Version HttpVersion)
{
    /// <summary>What the gateway's readiness asks: answered while the upstream is alive and takes the gateway's internal key.</summary>
    public Uri HealthUri => new(BaseUrl, BaseUrl.AbsolutePath.TrimEnd('/') + InternalKeyExtensions.CheckPath);

    /// <summary>HTTP/2 or HTTP/1.1, as messages name it.</summary>
    public string Protocol => "HTTP/" + HttpVersion.ToString(HttpVersion.Minor == 0 ? 1 : 2);
}

/// <summary>
/// The upstreams from Gateway:OrchestratorUrl and Gateway:ChatUrl (what deployments set) as YARP's clusters; the
/// routes that lead to them are configuration (ReverseProxy:Routes in appsettings.json).
/// </summary>
public sealed class Upstreams(IOptions<GatewayOptions> options)
{
    /// <summary>In HTTP/2 at its Http2Port: every submission goes this way (docs/architecture.md says why).</summary>
    public Upstream Orchestrator { get; } = new("orchestrator", new Uri(options.Value.OrchestratorUrl), HttpVersion.Version20);

    public Upstream Chat { get; } = new("chat", new Uri(options.Value.ChatUrl), HttpVersion.Version11);

    public IEnumerable<Upstream> All => [Orchestrator, Chat];

    public IProxyConfigProvider ClusterProvider() => new InMemoryConfigProvider([], [.. All.Select(Cluster)]);

    private ClusterConfig Cluster(Upstream upstream) => new()
    {
        ClusterId = upstream.Name,
        Destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase)
        {
            [upstream.Name] = new() { Address = upstream.BaseUrl.ToString() },
        },
        // YARP's activity timeout: until the response headers arrive, then between two reads of either body.
        HttpRequest = new ForwarderRequestConfig
        {
            ActivityTimeout = options.Value.UpstreamTimeout,
            Version = upstream.HttpVersion,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        },
        // Kestrel reads request headers as UTF-8; HttpClient sends only ASCII unless told otherwise (it would fail: a 502).
        // An HTTP/2 connection carries 100 streams at once (Kestrel's limit): event streams past that open another
        // connection rather than wait for one of the first hundred to end (YARP's default, said here since it matters).
        HttpClient = new HttpClientConfig { RequestHeaderEncoding = "utf-8", ResponseHeaderEncoding = "utf-8", EnableMultipleHttp2Connections = true },
    };
}
