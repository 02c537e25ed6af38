using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSystem.Gateway.Tests.Fakes;

/// <summary>The gateway on real Kestrel (so limits, remote addresses and streaming are the real ones) in front of the given upstreams.</summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string Key = "gateway-test-key-0";
    public const string OtherKey = "gateway-test-key-1";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public GatewayFactory(Uri orchestrator, Uri chat, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        _settings = new(StringComparer.Ordinal)
        {
            ["Gateway:OrchestratorUrl"] = orchestrator.ToString(),
            ["Gateway:ChatUrl"] = chat.ToString(),
            ["Gateway:ApiKeys:0"] = Key,
            ["Gateway:ApiKeys:1"] = OtherKey,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[name] = value;
        }

        // Kestrel without a port here: UseKestrel(port) sets it on the built host while the gateway's Program goes on
        // to start that host on its own thread, and under load the start won ("Addresses cannot be modified after the
        // server has started"). The address is a setting instead (ConfigureWebHost), read before anything starts.
        UseKestrel();
    }

    /// <summary>Where the gateway listens (http://127.0.0.1:port), for clients of the test's own making.</summary>
    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        }
    }

    public HttpClient CreateClient(string? apiKey)
    {
        StartServer();
        var client = CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = ClientOptions.BaseAddress, AllowAutoRedirect = false, HandleCookies = false });
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environments.Production);
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
        foreach (var (name, value) in _settings)
        {
            builder.UseSetting(name, value);
        }

        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }
}

/// <summary>Two fake upstreams and a gateway in front of them, shared by a test class.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public FakeUpstream Orchestrator { get; private set; } = null!;

    public FakeUpstream Chat { get; private set; } = null!;

    public GatewayFactory Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Orchestrator = await FakeUpstream.StartAsync("orchestrator");
        Chat = await FakeUpstream.StartAsync("chat");
        Gateway = new GatewayFactory(Orchestrator.BaseUrl, Chat.BaseUrl);
        Gateway.StartServer();
    }

    /// <summary>Another gateway before the same upstreams (or others), with settings of its own; the caller disposes it.</summary>
    public GatewayFactory NewGateway(IReadOnlyDictionary<string, string?> settings, Uri? orchestrator = null, Action<IServiceCollection>? services = null) =>
        new(orchestrator ?? Orchestrator.BaseUrl, Chat.BaseUrl, settings, services);

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Orchestrator.DisposeAsync();
        await Chat.DisposeAsync();
    }
}
