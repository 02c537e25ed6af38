using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AgentSystem.Gateway.Proxy;

/// <summary>An upstream service: the YARP cluster <paramref name="Name"/>, one destination at <paramref name="BaseUrl"/>.</summary>
public sealed record Upstream(string Name, Uri BaseUrl)
{
    /// <summary>What the gateway's readiness asks: answered while the upstream is alive and takes the gateway's internal key.</summary>
    public Uri HealthUri => new(BaseUrl, BaseUrl.AbsolutePath.TrimEnd('/') + InternalKeyExtensions.CheckPath);
}

/// <summary>
/// The upstreams from Gateway:OrchestratorUrl and Gateway:ChatUrl (what deployments set) as YARP's clusters; the
/// routes that lead to them are configuration (ReverseProxy:Routes in appsettings.json).
/// </summary>
public sealed class Upstreams(IOptions<GatewayOptions> options)
{
    public Upstream Orchestrator { get; } = new("orchestrator", new Uri(options.Value.OrchestratorUrl));

    public Upstream Chat { get; } = new("chat", new Uri(options.Value.ChatUrl));

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
        HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.Value.UpstreamTimeout },
        // Kestrel reads request headers as UTF-8; HttpClient sends only ASCII unless told otherwise (it would fail: a 502).
        HttpClient = new HttpClientConfig { RequestHeaderEncoding = "utf-8", ResponseHeaderEncoding = "utf-8" },
    };
}
