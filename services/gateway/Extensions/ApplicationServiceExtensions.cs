using System.Text;
using AgentSystem.Gateway.Infrastructure;
using AgentSystem.Gateway.Proxy;
using AgentSystem.Gateway.Security;
using AgentSystem.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace AgentSystem.Gateway.Extensions;

public static class ApplicationServiceExtensions
{
    /// <summary>YARP's configuration: the routes (appsettings.json); the clusters are <see cref="Upstreams"/>.</summary>
    public const string ReverseProxySection = "ReverseProxy";

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var services = builder.Services;
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default));
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => o.UpstreamTimeout > TimeSpan.Zero && o.UpstreamTimeout <= GatewayOptions.MaxUpstreamTimeout,
                $"Gateway:UpstreamTimeout must be above zero and at most {GatewayOptions.MaxUpstreamTimeout} (hh:mm:ss; a bare '30' means 30 days).")
            .Validate(o => o.TrustedProxies.All(proxy => GatewayOptions.TryParseNetwork(proxy, out _)),
                "Gateway:TrustedProxies: every entry must be an IP address or a CIDR network such as 10.244.0.0/16.")
            .Validate(o => AllowedHostNames.TryParse(o.AllowedHosts, out _),
                "Gateway:AllowedHosts: every entry must be a host name such as api.example.com, several separated by commas, or *.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, ApiKeysValidator>();
        services.AddHostedService<ApiKeyAudit>();
        services.AddSingleton<ClientConnectionLimit>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>, ClientConnectionLimit>((kestrel, gateway, perClient) =>
        {
            kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodyBytes;
            // Kestrel counts these per listening address (the gateway has one, Urls'), and the connection middleware
            // reaches the endpoints bound from Urls, not those listened on before this runs (none here).
            kestrel.Limits.MaxConcurrentConnections = gateway.Value.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = gateway.Value.MaxConnections;
            kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Use(perClient.Wrap));
            // Request headers are read as UTF-8 (Kestrel's default) and forwarded so; an upstream's answer goes back the same way.
            kestrel.ResponseHeaderEncodingSelector = _ => Encoding.UTF8;
        });

        services.AddSingleton<Upstreams>();
        services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection(ReverseProxySection))
            .AddTransforms<GatewayTransforms>()
            .AddTransformFactory<LocationTransformFactory>();
        services.AddSingleton<IProxyConfigProvider>(provider => provider.GetRequiredService<Upstreams>().ClusterProvider());
        services.AddHttpClient(UpstreamHealthCheck.ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
            .AddInternalKey()
            .RemoveAllLoggers();
        services.AddHealthChecks()
            .Add(UpstreamCheck(services, "orchestrator", upstreams => upstreams.Orchestrator))
            .Add(UpstreamCheck(services, "chat", upstreams => upstreams.Chat));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyRing>();
        services.AddSingleton<AuthFailureLimiter>();
        // The gateway protects nothing with DataProtection (API keys, no cookies), which AddAuthentication registers. Its
        // start still makes a key: in a container with nowhere to keep it, with three warnings; under Dev, in a file in the
        // user's home. Keys and key ring in memory (appsettings.json mutes the unencrypted-key warning that is left).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.Configure<KeyManagementOptions>(keys => keys.XmlRepository = new InMemoryKeyRepository());
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorization();
        services.AddRateLimiter(ClientLimits.Configure);
        // X-Forwarded-For is read from its end while the address that sent it is a trusted proxy (an ingress controller,
        // then the frontend's server): the client is the first address that is not. Nobody else is believed.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<GatewayOptions>>((forwarded, gateway) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            forwarded.ForwardLimit = null;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in gateway.Value.TrustedNetworks())
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        });

        return builder;
    }

    /// <summary>
    /// Request id, the host (<see cref="HostCheck"/>), the client's address (from trusted proxies' X-Forwarded-For), API
    /// key, client limits; in that order.
    /// No CORS: no browser calls the gateway from another origin (the web UI's server calls it for the page, same-origin),
    /// so a browser refuses every cross-origin call before it is sent.
    /// </summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<HostCheck>();
        if (app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.TrustedProxies.Length > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    // One check per upstream for the gateway's life: it shares its result between callers (UpstreamHealthCheck).
    private static HealthCheckRegistration UpstreamCheck(IServiceCollection services, string name, Func<Upstreams, Upstream> select)
    {
        services.AddKeyedSingleton(name, (provider, _) => new UpstreamHealthCheck(
            provider.GetRequiredService<IHttpClientFactory>(), select(provider.GetRequiredService<Upstreams>()), provider.GetRequiredService<TimeProvider>()));
        return new(name, provider => provider.GetRequiredKeyedService<UpstreamHealthCheck>(name), HealthStatus.Unhealthy, [ServiceDefaultsExtensions.ReadyTag],
            UpstreamHealthCheck.Timeout);
    }
}
