using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using AgentSystem.Load.Harness;
using AgentSystem.Store;
using AgentSystem.Testing.Containers;
using DotNet.Testcontainers.Containers;
using Npgsql;
using StackExchange.Redis;
using Testcontainers.PostgreSql;
using Testcontainers.Redis;

namespace AgentSystem.Load.UnderTest;

/// <summary>
/// The system under load: PostgreSQL and Redis (given by connection strings, or containers from the tests' library set
/// up as deployed: PostgreSQL with fsync and synchronous commit on, Redis with AOF every second and noeviction), the
/// schema migrated, and the services from their Release builds as processes: the workers, the orchestrator and the
/// gateway, with the settings the services ship with except those a load run must change (a short visibility
/// timeout so a killed worker's jobs come back within the run; no rate limit at the gateway).
/// </summary>
internal sealed class LoadSystem : IAsyncDisposable
{
    public const string QueuePrefix = "agentsystem:";
    public const string ApiKey = "load-test-api-key-0";

    /// <summary>Short, so the jobs a killed worker held are reclaimed within a CI run.</summary>
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(5);

    private readonly List<IContainer> _containers = [];
    private readonly List<ServiceHost> _services = [];
    private readonly Action<string> _log;
    private readonly bool _keepContainers;

    /// <summary>How to reach each container the run started, for <c>--keep-containers</c>.</summary>
    private readonly List<string> _reach = [];

    /// <summary>The CPU counter of each container this run started, by the name its CPU is shown under.</summary>
    private readonly Dictionary<string, CpuCounter> _containerCounters = new(StringComparer.Ordinal);

    private LoadSystem(Action<string> log, bool keepContainers)
    {
        _log = log;
        _keepContainers = keepContainers;
    }

    public string PostgresConnectionString { get; private set; } = "";

    public string RedisConfiguration { get; private set; } = "";

    public string Notes { get; private set; } = "";

    public ConnectionMultiplexer Redis { get; private set; } = null!;

    /// <summary>PostgreSQL, migrated: only the scenarios with services store results (enqueue and claim-ack need none).</summary>
    public NpgsqlDataSource Database => _database ?? throw new InvalidOperationException("PostgreSQL runs only for the scenarios whose services store results.");

    private NpgsqlDataSource? _database;

    public IReadOnlyList<ServiceHost> Workers { get; private set; } = [];

    public ServiceHost Gateway => _gateway ?? throw new InvalidOperationException("The gateway runs only for the http scenarios.");

    private ServiceHost? _gateway;

    /// <summary>
    /// The services the scenarios asked for need: the workers and the orchestrator (whose dispatcher and task events run
    /// as deployed) for the end-to-end and http scenarios, the gateway for http only; enqueue and claim-ack none.
    /// </summary>
    public static (bool Workers, bool Gateway) ServicesFor(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var gateway = LoadArguments.NeedsGateway(options.Scenarios);
        return (gateway || options.Runs(LoadArguments.EndToEnd), gateway);
    }

    /// <summary>What ran, for the report's notes.</summary>
    public string ServicesDescription { get; private set; } = "no services (the queue client alone)";

    /// <summary>The service processes by name (a restarted worker has a new process id).</summary>
    public IReadOnlyDictionary<string, int> ProcessIds =>
        _services.Where(s => !s.HasExited).ToDictionary(s => s.Name, s => s.ProcessId, StringComparer.Ordinal);

    /// <summary>What CPU sampling follows, by name: each service process, and each container this run started.</summary>
    public IReadOnlyDictionary<string, CpuCounter> CpuCounters =>
        ProcessIds.Select(p => KeyValuePair.Create(p.Key, CpuCounter.Process(p.Value))).Concat(_containerCounters).ToDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Messages each worker's reclaimer put back in the queue after their lease expired, by worker, with the process
    /// that counted them (their <c>/metrics</c>; a restarted worker counts from zero, once it answers: in a short phase
    /// the others can store everything while it still starts, and one CI run read it then and was refused). A worker
    /// that exited or does not answer throws, naming it. <see cref="ReclaimedSince"/> tells what was put back between
    /// two readings.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, (int ProcessId, long Count)>> ReclaimedAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var counts = new Dictionary<string, (int ProcessId, long Count)>(StringComparer.Ordinal);
        foreach (var worker in Workers)
        {
            await worker.WaitHealthyAsync(http, cancellationToken);
            var count = ReadReclaimed(await http.GetStringAsync(new Uri(worker.BaseAddress, "/metrics"), cancellationToken));
            counts[worker.Name] = (worker.ProcessId, count);
        }

        return counts;
    }

    /// <summary>
    /// What the reclaimers put back between two readings of <see cref="ReclaimedAsync"/>: a worker whose process changed
    /// since (the SIGKILL check's victim, started again) counts from zero. The difference of the sums undercounted by
    /// what the victim had put back before (helper-139: "0 put back after their lease expired, 40 of them ran again").
    /// </summary>
    public static long ReclaimedSince(IReadOnlyDictionary<string, (int ProcessId, long Count)> before, IReadOnlyDictionary<string, (int ProcessId, long Count)> now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(now);
        return now.Sum(worker => before.TryGetValue(worker.Key, out var then) && then.ProcessId == worker.Value.ProcessId
            ? Math.Max(0, worker.Value.Count - then.Count)
            : worker.Value.Count);
    }

    /// <summary>
    /// What happened to each service that exited without the harness stopping it (a crash, an OOM kill, a <c>kill -9</c>
    /// by hand): "worker-1 (pid 5967) exited with code 137 (SIGKILL) at 21:20:13"; none when all run. Before, nothing
    /// noticed until the SIGKILL check read the dead worker's count and the run ended without a report.
    /// </summary>
    public IReadOnlyList<string> UnaskedExits() => [.. _services.Select(service => service.UnaskedExit).OfType<string>()];

    /// <summary>
    /// Starts again each service that exited unasked and waits until it answers, so that the next phase runs the system
    /// it names; returns how each had exited (as <see cref="UnaskedExits"/> says it); throws when one does not start.
    /// </summary>
    public async Task<IReadOnlyList<string>> RestartUnaskedExitsAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var restarted = new List<string>();
        foreach (var (service, exit) in _services.Select(service => (service, service.UnaskedExit)))
        {
            if (exit is null)
            {
                continue;
            }

            restarted.Add(exit);
            try
            {
                service.Restart($"{exit}, not stopped by the harness");
                await service.WaitHealthyAsync(http, cancellationToken);
            }
            catch (Exception error) when (error is InvalidOperationException or TimeoutException or HttpRequestException)
            {
                throw new InvalidOperationException($"{exit}, not stopped by the harness, did not start again ({error.Message}): the phases after it did not run", error);
            }
        }

        return restarted;
    }

    /// <summary>The <c>reclaimed</c> count of a worker's <c>/metrics</c> answer.</summary>
    public static long ReadReclaimed(string metricsJson)
    {
        using var document = JsonDocument.Parse(metricsJson);
        return document.RootElement.TryGetProperty("reclaimed", out var reclaimed) && reclaimed.TryGetInt64(out var count)
            ? count
            : throw new InvalidDataException($"A worker's /metrics has no 'reclaimed' count: {metricsJson}");
    }

    public static async Task<LoadSystem> StartAsync(LoadOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var system = new LoadSystem(log, options.KeepContainers);
        try
        {
            await system.StartInfrastructureAsync(options, cancellationToken);
            await system.StartServicesAsync(options, cancellationToken);
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (_keepContainers && _containers.Count > 0)
        {
            // Left to the user: DisposeAsync would remove them, and the reaper does not know them (WithSessionCleanUp(false)).
            _reach.ForEach(_log);
            _log($"Kept, as --keep-containers asks; remove {(_containers.Count == 1 ? "it" : "them")} with: docker rm -f {string.Join(' ', _containers.Select(c => c.Name.TrimStart('/')))}");
            return;
        }

        foreach (var container in _containers)
        {
            await container.DisposeAsync();
        }
    }

    private async Task StartInfrastructureAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var storesResults = ServicesFor(options).Workers;
        if (!storesResults)
        {
            notes.Add("no PostgreSQL (no scenario run stores results)");
        }
        else if (options.Postgres is { } postgres)
        {
            PostgresConnectionString = postgres;
            notes.Add("PostgreSQL given by --postgres");
        }
        else
        {
            _log($"Starting PostgreSQL ({TestImages.Postgres})...");
            var container = await TestPostgres.StartAsync(
                TestPostgres.Builder().OnTmpfs().WithDatabase("agentsystem").WithCommand("-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on")
                    .WithName(ContainerName("postgres", SessionReaper.SessionId)).WithSessionCleanUp(!_keepContainers),
                cancellationToken);
            _containers.Add(container);
            WatchCpu("postgres", container);
            PostgresConnectionString = container.GetConnectionString();
            _reach.Add($"PostgreSQL: docker exec -it {container.Name.TrimStart('/')} psql -U {PostgreSqlBuilder.DefaultUsername} agentsystem (from the host: {PostgresConnectionString})");
            notes.Add($"PostgreSQL {TestImages.Postgres} in a container (fsync and synchronous_commit on, data on tmpfs)");
        }

        if (options.Redis is { } redis)
        {
            RedisConfiguration = redis;
            notes.Add("Redis given by --redis");
        }
        else
        {
            _log($"Starting Redis ({TestImages.Redis})...");
            var container = await TestRedis.StartAsync(
                TestRedis.Builder([.. TestRedis.AppendOnlyArguments, "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"])
                    .WithName(ContainerName("redis", SessionReaper.SessionId)).WithSessionCleanUp(!_keepContainers),
                cancellationToken);
            _containers.Add(container);
            WatchCpu("redis", container);
            RedisConfiguration = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{container.GetMappedPublicPort(RedisBuilder.RedisPort)}");
            _reach.Add($"Redis: docker exec -it {container.Name.TrimStart('/')} redis-cli (from the host: {RedisConfiguration})"
                + (storesResults ? "" : "; empty: enqueue and claim-ack delete their keys after each phase, and only queue-e2e and http leave their work (in PostgreSQL)"));
            notes.Add($"Redis {TestImages.Redis} in a container (AOF, fsync every second)");
        }

        Notes = string.Join("; ", notes) + ".";
        // A loaded machine can stall one call past the client's 5 s default; a load run measures, it does not time out.
        Redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration + ",asyncTimeout=30000,syncTimeout=30000");
        if (storesResults)
        {
            _database = NpgsqlDataSource.Create(PostgresConnectionString);
            await new DatabaseMigrator(_database).MigrateAsync(cancellationToken);
        }
    }

    // A container of a remote Docker engine (or whose cgroup is not mounted here) has no counter: no column, and the log says so.
    private void WatchCpu(string name, IContainer container)
    {
        if (CpuCounter.Container(container.Id) is { } counter)
        {
            _containerCounters[name] = counter;
        }
        else
        {
            _log($"The {name} container's CPU accounting (its cgroup) is not visible here: its CPU is not measured.");
        }
    }

    private async Task StartServicesAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ConnectionStrings__Postgres"] = PostgresConnectionString,
            ["Redis__Configuration"] = RedisConfiguration,
            ["Queue__Prefix"] = QueuePrefix,
            ["Queue__VisibilityTimeout"] = VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // As deployed: the gateway presents it to the orchestrator at every request, and the orchestrator checks it.
            ["Internal__Key"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)),
            // Hot methods are queued for full optimisation as soon as they are hot, not only once no new method has
            // been compiled for 100 ms: so the compiler's work shows (Harness/CompilerWatch) while the warm-up runs,
            // instead of starting after it. Nothing changes once the services are warm.
            ["DOTNET_TC_CallCountingDelayMs"] = "0",
            // One API key is every client here, so no storage quota (long runs passed it); what it costs to count the
            // stored bytes is still measured.
            ["Tasks__MaxStoredBytesPerKey"] = "0",
        };
        var needed = ServicesFor(options);
        if (!needed.Workers)
        {
            _log("Starting no services: the scenarios asked for drive Redis through the queue client alone.");
            return;
        }

        ServicesDescription = $"{options.Workers} workers, the orchestrator{(needed.Gateway ? " and the gateway" : "")} ({Configuration} builds)";
        _log($"Starting {ServicesDescription}...");
        var workers = Enumerable.Range(1, options.Workers)
            .Select(i => ServiceHost.Start($"worker-{i}", ServiceDll("worker"), environment, ServiceLogs(options))).ToList();
        _services.AddRange(workers);
        Workers = workers;
        // Its HTTP/2-only port, the gateway's way in (the default, 8001, would clash with another run).
        var orchestratorHttp2Port = ServicePorts.Free();
        var orchestrator = ServiceHost.Start("orchestrator", ServiceDll("orchestrator"), new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["Http2Port"] = orchestratorHttp2Port.ToString(CultureInfo.InvariantCulture),
        }, ServiceLogs(options));
        _services.Add(orchestrator);
        if (needed.Gateway)
        {
            _gateway = ServiceHost.Start("gateway", ServiceDll("gateway"), new Dictionary<string, string>(environment, StringComparer.Ordinal)
            {
                ["Gateway__OrchestratorUrl"] = $"http://127.0.0.1:{orchestratorHttp2Port}",
                // Chat is not under load; the gateway needs an address for it all the same.
                ["Gateway__ChatUrl"] = "http://127.0.0.1:9",
                ["Gateway__ApiKeys__0"] = ApiKey,
                ["Gateway__RateLimit__PermitsPerSecond"] = "1000000",
                ["Gateway__RateLimit__Burst"] = "1000000",
                ["Gateway__RateLimit__MaxRequestsInFlight"] = "1000000",
                // Every load client is one address (loopback): the open phase's up to 512 connections, wrk's and the
                // closed phase's besides, are more than one client's share.
                ["Gateway__MaxConnectionsPerClient"] = "1000000",
            }, ServiceLogs(options));
            _services.Add(_gateway);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var service in _services)
        {
            await service.WaitHealthyAsync(http, cancellationToken);
        }
    }

    /// <summary>Where each service's output goes (NAME.log), beside the reports.</summary>
    public static string ServiceLogs(LoadOptions options) => ServiceLogsIn(options.Output);

    public static string ServiceLogsIn(string output) => Path.Combine(output, "service-logs");

    /// <summary>The configuration this program was built in, which is the one its service references were built in.</summary>
    public static string Configuration { get; } = typeof(LoadSystem).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "Configuration")?.Value ?? "Release";

    /// <summary>
    /// "agentsystem-load-postgres-1a2b3c4d": what the run is, and its reaper session's first digits, so two runs never
    /// share a name and a kept container is found again by name rather than as one of Docker's random ones.
    /// </summary>
    internal static string ContainerName(string server, Guid session) => $"agentsystem-load-{server}-{session.ToString("N")[..8]}";

    private static string ServiceDll(string service)
    {
        var name = "AgentSystem." + char.ToUpperInvariant(service[0]) + service[1..];
        var path = Path.Combine(RepositoryRoot, "services", service, "bin", Configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build tests/Load/AgentSystem.Load in {Configuration} (./build.sh LoadTest does).");
    }

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "AgentSystem.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"AgentSystem.sln not found above {AppContext.BaseDirectory}.");
    }
}
