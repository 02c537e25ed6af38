using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AgentSystem.Testing.Containers.Modules;

namespace AgentSystem.SystemTests;

/// <summary>
/// The whole system, started once for the test assembly: PostgreSQL and Redis in containers, migrations run by the
/// services' own "migrate" commands, then chat, orchestrator, two workers, the gateway and the frontend as processes.
/// </summary>
public sealed class SystemFixture : IAsyncLifetime
{
    public const string ApiKey = "system-test-key";
    /// <summary>Short, so a killed worker's job returns to the queue within seconds.</summary>
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(4);

    private readonly List<ServiceProcess> _services = [];
    private PostgresContainer? _postgres;
    private RedisContainer? _redis;

    public ServiceProcess Gateway { get; private set; } = null!;
    public ServiceProcess Frontend { get; private set; } = null!;
    public IReadOnlyList<ServiceProcess> Workers { get; private set; } = [];
    public string PostgresConnectionString => _postgres!.ConnectionString;

    /// <summary>A client of the gateway that sends the API key.</summary>
    public HttpClient Api { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static string RepositoryRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        _postgres = await new PostgresBuilder().WithDatabase("agentsystem").StartAsync();
        _redis = await new RedisBuilder().StartAsync();

        var ports = new Dictionary<string, int>
        {
            ["chat"] = ServiceProcess.FreePort(), ["orchestrator"] = ServiceProcess.FreePort(), ["gateway"] = ServiceProcess.FreePort(),
            ["worker-a"] = ServiceProcess.FreePort(), ["worker-b"] = ServiceProcess.FreePort(), ["frontend"] = ServiceProcess.FreePort(),
        };
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _postgres.ConnectionString,
            ["Redis__Configuration"] = _redis.ConnectionString,
            ["Queue__VisibilityTimeout"] = VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Dispatcher__Interval"] = "00:00:02",
            ["Dispatcher__StaleAfter"] = "00:00:10",
            ["Worker__ChatUrl"] = $"http://127.0.0.1:{ports["chat"]}",
            ["Worker__IdlePoll"] = "00:00:02",
            ["Gateway__OrchestratorUrl"] = $"http://127.0.0.1:{ports["orchestrator"]}",
            ["Gateway__ChatUrl"] = $"http://127.0.0.1:{ports["chat"]}",
            ["Gateway__ApiKeys__0"] = ApiKey,
            ["Gateway__CorsOrigins__0"] = $"http://127.0.0.1:{ports["frontend"]}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_gcServer"] = "0",
        };

        await RunToEndAsync("orchestrator", "migrate", environment);
        await RunToEndAsync("chat", "migrate", environment);

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        _services.Add(StartDotnet("chat", ports["chat"], environment));
        _services.Add(StartDotnet("orchestrator", ports["orchestrator"], environment));
        var workers = new List<ServiceProcess>();
        foreach (var name in new[] { "worker-a", "worker-b" })
        {
            var worker = StartDotnet("worker", ports[name], environment, name);
            workers.Add(worker);
            _services.Add(worker);
        }
        Workers = workers;
        Gateway = StartDotnet("gateway", ports["gateway"], environment);
        _services.Add(Gateway);
        Frontend = StartFrontend(ports["frontend"], Gateway.BaseAddress);
        _services.Add(Frontend);
        foreach (var service in _services) await service.WaitHealthyAsync(probe);

        Api.BaseAddress = Gateway.BaseAddress;
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        foreach (var service in _services) await service.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }

    /// <summary>What every service printed lately, for a failure message.</summary>
    public string Diagnostics() =>
        string.Join(Environment.NewLine, _services.Select(s => $"--- {s.Name} ---{Environment.NewLine}{s.RecentOutput}"));

    private static ServiceProcess StartDotnet(string service, int port, Dictionary<string, string> environment, string? name = null)
    {
        var serviceEnvironment = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };
        return ServiceProcess.Start(name ?? service, "dotnet", [ServiceDll(service)], port, serviceEnvironment, Path.GetDirectoryName(ServiceDll(service)));
    }

    private static ServiceProcess StartFrontend(int port, Uri gateway)
    {
        var folder = Path.Combine(RepositoryRoot, "services", "frontend");
        if (!File.Exists(Path.Combine(folder, "dist", "index.html")))
            throw new InvalidOperationException($"The frontend is not built ({folder}/dist): run ./build.sh Compile --all, or npm ci && npm run build there.");
        return ServiceProcess.Start("frontend", "node", ["server.mjs"], port, new Dictionary<string, string>
        {
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["HOST"] = "127.0.0.1",
            ["GATEWAY_URL"] = gateway.ToString().TrimEnd('/'),
            ["API_KEY"] = ApiKey,
        }, folder);
    }

    private static async Task RunToEndAsync(string service, string command, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ServiceDll(service));
        info.ArgumentList.Add(command);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{service} {command} exited with {process.ExitCode}:{Environment.NewLine}{await output}{await error}");
    }

    private static string ServiceDll(string service)
    {
        var configuration = typeof(SystemFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Configuration")?.Value ?? "Debug";
        var name = "AgentSystem." + char.ToUpperInvariant(service[0]) + service[1..];
        var path = Path.Combine(RepositoryRoot, "services", service, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the services first (./build.sh Compile --all).");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentSystem.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("AgentSystem.sln not found above the test assembly.");
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
