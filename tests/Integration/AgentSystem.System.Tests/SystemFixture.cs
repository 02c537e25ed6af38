using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AgentSystem.Testing.Containers;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.Redis;

namespace AgentSystem.SystemTests;

/// <summary>
/// The whole system, started once for the test assembly: PostgreSQL and Redis in containers, migrations run by the
/// services' own "migrate" commands, then chat, orchestrator, two workers, the gateway and the frontend as processes.
/// Redis runs with AOF (fsync every second, as deployed) behind a <see cref="TcpForwarder"/>, so a fault test can kill
/// and restart it (the engine publishes the restarted container on a new port) while the services keep one address.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes a fixture through IAsyncLifetime.DisposeAsync, which disposes the forwarder.")]
public sealed class SystemFixture : IAsyncLifetime
{
    public const string ApiKey = "system-test-key-0";
    /// <summary>
    /// A second key, configured by name (the key "partner"): another client of the gateway, as the queue's fair share
    /// counts them, and another owner of tasks and conversations.
    /// </summary>
    public const string OtherApiKey = "system-test-other-key";
    /// <summary>
    /// Jobs each worker runs at once: few (the shipped default is 1024), so the fault tests can have jobs running and
    /// others still queued in Redis, and a task cancelled before all its jobs ran.
    /// </summary>
    public const int WorkerConcurrency = 4;
    /// <summary>What the gateway and the workers present to the orchestrator and chat; a test calling them directly does too.</summary>
    public const string InternalKey = "system-test-internal-key";

    /// <summary>Short, so a killed worker's job returns to the queue within seconds.</summary>
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(4);
    /// <summary>The services' Queue:Prefix: every Redis key of the queue starts with it (docs/queue.md).</summary>
    public const string QueuePrefix = "agentsystem:";
    /// <summary>Bound of <see cref="RecoverAsync"/>: restarted services and reconnecting clients are ready well within it.</summary>
    public static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProcess> _services = [];
    private PostgreSqlContainer? _postgres;
    private RedisContainer? _redis;
    private TcpForwarder? _redisForwarder;
    private int _redisPort;

    public ServiceProcess Gateway { get; private set; } = null!;
    public ServiceProcess Orchestrator { get; private set; } = null!;
    public ServiceProcess Chat { get; private set; } = null!;
    public ServiceProcess Frontend { get; private set; } = null!;
    public IReadOnlyList<ServiceProcess> Workers { get; private set; } = [];
    public string PostgresConnectionString => _postgres!.GetConnectionString();
    public IContainer PostgresContainer => _postgres!;

    /// <summary>A client of the gateway that sends the API key.</summary>
    public HttpClient Api { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// The role the services connect as (docs/architecture.md, "The services are not PostgreSQL's owner"); the tests
    /// read PostgreSQL as its owner.
    /// </summary>
    public const string ServiceRole = "agentsystem_service";

    /// <summary>Chat's role, made by chat's migrate: its own tables only, as the orchestrator's and workers' are theirs.</summary>
    public const string ChatRole = "agentsystem_chat";

    // Punctuation and quotes inside, as migrate allows: what the deployments paste unquoted into a connection string.
    private const string ServicePassword = "service-password, with = it's \"quoted\" inside";

    private const string ChatPassword = "chat-password, another";

    private string As(string role, string password) =>
        new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Username = role, Password = password }.ConnectionString;

    public async Task InitializeAsync()
    {
        // The image's own database: another name would cost a CREATE DATABASE before the server starts.
        _postgres = await TestPostgres.StartAsync(TestPostgres.Builder());
        _redis = await TestRedis.StartAsync(TestRedis.Builder([.. TestRedis.AppendOnlyArguments, "--appendfsync", "everysec"]));
        _redisPort = _redis.GetMappedPublicPort(RedisBuilder.RedisPort);
        _redisForwarder = new TcpForwarder(_redisPort);

        var ports = new Dictionary<string, int>
        {
            ["chat"] = ServicePorts.Free(), ["orchestrator"] = ServicePorts.Free(), ["orchestrator-h2"] = ServicePorts.Free(), ["gateway"] = ServicePorts.Free(),
            ["worker-a"] = ServicePorts.Free(), ["worker-b"] = ServicePorts.Free(), ["frontend"] = ServicePorts.Free(),
        };
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _postgres.GetConnectionString(),
            ["Redis__Configuration"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_redisForwarder.Port}"),
            ["Queue__Prefix"] = QueuePrefix,
            ["Queue__VisibilityTimeout"] = VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Dispatcher__Interval"] = "00:00:02",
            ["Dispatcher__StaleAfter"] = "00:00:10",
            ["Worker__ChatUrl"] = $"http://127.0.0.1:{ports["chat"]}",
            ["Worker__IdlePoll"] = "00:00:02",
            ["Worker__Concurrency"] = WorkerConcurrency.ToString(CultureInfo.InvariantCulture),
            ["Gateway__OrchestratorUrl"] = $"http://127.0.0.1:{ports["orchestrator-h2"]}",
            ["Gateway__ChatUrl"] = $"http://127.0.0.1:{ports["chat"]}",
            ["Gateway__ApiKeys__0"] = ApiKey,
            ["Gateway__ApiKeys__Partner"] = OtherApiKey,
            ["Internal__Key"] = InternalKey,
            // The tests are the proxy: an X-Forwarded-For they send names the client (failed keys are limited per client).
            ["Gateway__TrustedProxies__0"] = "127.0.0.1",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_gcServer"] = "0",
        };

        // As the k8s base deploys them: the migrations as the owner, each making its service's role; the services as their
        // role, which may read and write their tables and nothing more (so every statement they run is proved to need no more).
        await RunToEndAsync("orchestrator", "migrate", new Dictionary<string, string>(environment)
        {
            ["Migrate__ServiceRole"] = ServiceRole,
            ["Migrate__ServicePassword"] = ServicePassword,
        });
        await RunToEndAsync("chat", "migrate", new Dictionary<string, string>(environment)
        {
            ["Migrate__ServiceRole"] = ChatRole,
            ["Migrate__ServicePassword"] = ChatPassword,
        });
        environment["ConnectionStrings__Postgres"] = As(ServiceRole, ServicePassword);
        var chatEnvironment = new Dictionary<string, string>(environment) { ["ConnectionStrings__Postgres"] = As(ChatRole, ChatPassword) };

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        Chat = StartDotnet("chat", ports["chat"], chatEnvironment);
        _services.Add(Chat);
        Orchestrator = StartDotnet("orchestrator", ports["orchestrator"], new Dictionary<string, string>(environment)
        {
            // Its HTTP/2-only port, the gateway's way in (the default, 8001, would clash with another run).
            ["Http2Port"] = ports["orchestrator-h2"].ToString(CultureInfo.InvariantCulture),
        });
        _services.Add(Orchestrator);
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
        foreach (var service in _services)
        {
            await service.WaitHealthyAsync(probe);
        }

        Api.BaseAddress = Gateway.BaseAddress;
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (_redisForwarder is not null)
        {
            await _redisForwarder.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    /// <summary>
    /// Brings the system back to health after a fault: starts again any service that exited (a killed worker), then
    /// waits until every service answers its readiness probe (/readyz: PostgreSQL and Redis reachable, for the
    /// gateway its upstreams). Fails with the services' output when that takes longer than <see cref="RecoveryTimeout"/>.
    /// </summary>
    public async Task RecoverAsync()
    {
        foreach (var service in _services.Where(s => s.HasExited))
        {
            service.Restart();
        }

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        foreach (var service in _services)
        {
            var left = RecoveryTimeout - deadline.Elapsed;
            if (!await service.WaitReadyAsync(probe, left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                throw new TimeoutException($"{service.Name} is not ready ({service.ReadyPath}) {deadline.Elapsed.TotalSeconds:0} s after a fault test:{Environment.NewLine}{Diagnostics()}");
            }
        }
    }

    /// <summary>
    /// Kills Redis (no grace: SIGKILL, so it loses whatever it had not written to its AOF yet; fsync every second
    /// bounds what a machine crash would lose to about a second), starts the same container again on its data, points
    /// the forwarder at the new published port and waits until Redis answers PING (not LOADING). Returns how it ended
    /// (exit code 137: SIGKILL) and how long it was unreachable.
    /// </summary>
    public async Task<(string Killed, TimeSpan Down)> RestartRedisAsync()
    {
        var down = Stopwatch.StartNew();
        await _redis!.StopAsync();
        var killed = $"{_redis.State}, exit code {await _redis.GetExitCodeAsync()}";
        await _redis.StartAsync();
        _redisPort = _redis.GetMappedPublicPort(RedisBuilder.RedisPort);
        _redisForwarder!.Retarget(_redisPort);
        while (true)
        {
            try
            {
                if (await RedisAsync("PING") == "PONG")
                {
                    return (killed, down.Elapsed);
                }
            }
            catch (InvalidOperationException) { }   // redis-cli could not connect yet
            if (down.Elapsed > RecoveryTimeout)
            {
                throw new TimeoutException($"Redis did not answer PING within {RecoveryTimeout.TotalSeconds} s of its restart.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>One Redis command through redis-cli in the container (not through the forwarder): its reply, array items one per line.</summary>
    public Task<string> RedisAsync(params string[] command) => TestRedis.ExecuteAsync(_redis!, 0, command);

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
        {
            throw new InvalidOperationException($"The frontend is not built ({folder}/dist): ./build.sh IntegrationTest builds it for these tests; by hand, ./build.sh Compile --all --service frontend, or npm ci && npm run build there.");
        }
        // Static files, and /api forwarded to the gateway with the key: ready once it answers /healthz.
        return ServiceProcess.Start("frontend", "node", ["server.mjs"], port, new Dictionary<string, string>
        {
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["HOST"] = "127.0.0.1",
            ["GATEWAY_URL"] = gateway.ToString().TrimEnd('/'),
            ["API_KEY"] = ApiKey,
        }, folder, readyPath: "/healthz");
    }

    private static async Task RunToEndAsync(string service, string command, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ServiceDll(service));
        info.ArgumentList.Add(command);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{service} {command} exited with {process.ExitCode}:{Environment.NewLine}{await output}{await error}");
        }
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
            if (File.Exists(Path.Combine(dir.FullName, "AgentSystem.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("AgentSystem.sln not found above the test assembly.");
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
