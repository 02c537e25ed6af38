using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    [Parameter("API key the Dev target configures on the gateway and hands to the frontend", Values = "key")]
    private readonly string DevApiKey = RunningSystem.DevelopmentApiKey;

    private const string DevPostgresContainer = "agentsystem-dev-postgres";
    private const string DevRedisContainer = "agentsystem-dev-redis";
    private const int DevPostgresPort = 15432;
    private const int DevRedisPort = 16379;

    /// <summary>The catalog's .NET services in start order: each one's dependencies (dependsOn) come before it.</summary>
    private List<(string Name, string Project, int Port)> DevServices => _devServices ??= StartOrder(DevCatalog.Services.Where(s => s.Kind == ServiceKind.Dotnet).ToList());
    private List<(string Name, string Project, int Port)>? _devServices;

    private ServiceCatalog DevCatalog => _devCatalog ??= ServiceCatalog.Load(RootDirectory, new Git(RootDirectory).ListFiles().Files);
    private ServiceCatalog? _devCatalog;

    private ServiceEntry Frontend => DevCatalog.Find("frontend") ?? throw new TargetFailedException($"{ServiceCatalog.FileName} has no frontend service.");
    private int FrontendPort => Frontend.Ports.FirstOrDefault(3000);

    private int DevPort(string service) => DevServices.Single(s => s.Name == service).Port;

    /// <summary>The orchestrator's HTTP/2-only port (Http2Port), the gateway's way in: its second in the catalog.</summary>
    private int DevOrchestratorHttp2Port => DevCatalog.Find("orchestrator")?.Ports is [_, var http2, ..]
        ? http2
        : throw new TargetFailedException($"The orchestrator has no second port (its HTTP/2 one) in {ServiceCatalog.FileName}.");

    private static List<(string Name, string Project, int Port)> StartOrder(List<ServiceEntry> services)
    {
        var ordered = new List<ServiceEntry>();
        while (ordered.Count < services.Count)
        {
            var next = services.FirstOrDefault(s => !ordered.Contains(s) &&
                s.DependsOn.All(d => ordered.Any(o => o.Name == d) || !services.Any(x => x.Name == d)))
                ?? throw new TargetFailedException($"The services in {ServiceCatalog.FileName} depend on each other in a cycle.");
            ordered.Add(next);
        }
        return ordered.Select(s => (s.Name, s.Project, s.Ports.Count > 0 ? s.Ports[0] : throw new TargetFailedException($"{s.Name} has no port in {ServiceCatalog.FileName}."))).ToList();
    }

    /// <summary>How long the services get to stop after SIGTERM: more than the worker's own drain (Worker:DrainTimeout, 20 s, plus its grace).</summary>
    private static readonly TimeSpan DevDrainTimeout = TimeSpan.FromSeconds(30);

    private const string DevPostgresVariable = "ConnectionStrings__Postgres";
    private const string DevRedisVariable = "Redis__Configuration";

    private Target DevServers => _ => _
        .Description($"Starts Dev's PostgreSQL and Redis in Docker, or finds them running; not needed when {DevPostgresVariable} and {DevRedisVariable} give both")
        .DependsOn(DockerEngine, BaseImages)
        .OnlyWhenStatic(() => EnvironmentVariable(DevPostgresVariable) is null || EnvironmentVariable(DevRedisVariable) is null,
            "both servers are given")
        .Executes(() =>
        {
            if (RequestedTargets.Contains(nameof(Dev)))
            {
                CheckDevPortsFree();   // before the containers: Dev would stop at a taken port anyway
            }

            if (EnvironmentVariable(DevPostgresVariable) is null)
            {
                StartContainerOnce(DevPostgresContainer, BaseImageFor("postgres"), DevPostgresPort, 5432, ["-e", DevCredentials.PostgresVariable, "-e", "POSTGRES_DB=agentsystem"], [],
                    DevCredentials.PostgresVariable);
                WaitForDevPostgres();
            }

            if (EnvironmentVariable(DevRedisVariable) is null)
            {
                StartContainerOnce(DevRedisContainer, BaseImageFor("redis"), DevRedisPort, 6379, ["-e", DevCredentials.RedisVariable],
                    ["sh", "-c", DevCredentials.RedisCommand, "redis-server", "--protected-mode", "no", "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"],
                    DevCredentials.RedisVariable);
                WaitForDevRedis();
            }
        });

    private Target Dev => _ => _
        .Description("Starts the whole system locally: PostgreSQL and Redis (given, or DevServers'), migrations, every service; Ctrl+C or SIGTERM stops it")
        .WritesOutputs()
        .DependsOn(DevServers)
        .Reads(() => DevApiKey)
        .Touches(() => EveryServiceName)
        .Validates(() => Service is null ? [] : ["--service: Dev runs the whole system; leave it out"])
        .Validates(() => ApiKeyProblems(nameof(DevApiKey), DevApiKey))
        .Executes(async cancellationToken =>
        {
            CheckDevPortsFree();
            var (postgres, redis, containers) = DevInfrastructure();
            var interruptIgnored = IgnoredSignals.InterruptIgnored();
            var frontend = Path.Combine(RootDirectory, PathUtil.DirectoryOf(Frontend.Project));
            CheckNode(frontend);   // before the .NET build's minutes
            var filter = WriteSolutionFilter("dev.slnf", DevServices.Select(s => s.Project).ToList());
            // Minutes on a first run: a heartbeat with the latest line every 30 s, the whole output in a log (the new-user
            // walk sat 62 s behind one line, then read MSBuild's, npm's and vite's raw output).
            LoggedStep.Run($"Building {string.Join(", ", DevServices.Select(s => s.Name))}", Path.Combine(StepLogs, "dev-build.log"),
                "dotnet", ["build", filter, "-c", Configuration.ToString(), "-nodeReuse:false", "--disable-build-servers", "-v", "q"],
                RootDirectory, DotnetEnvironment, cancellationToken);
            NpmInstallIfStale(frontend);
            LoggedStep.Run("Building the frontend", Path.Combine(StepLogs, "dev-frontend-build.log"), Npm, ["run", "build"], frontend,
                cancellationToken: cancellationToken);

            var environment = new Dictionary<string, string>(DotnetEnvironment)
            {
                ["ConnectionStrings__Postgres"] = postgres,
                ["Redis__Configuration"] = redis,
                ["Gateway__OrchestratorUrl"] = $"http://127.0.0.1:{DevOrchestratorHttp2Port}",
                ["Gateway__ChatUrl"] = $"http://127.0.0.1:{DevPort("chat")}",
                ["Gateway__ApiKeys__0"] = DevApiKey,
                // A new one each run: another program on this machine cannot reach the orchestrator or chat past the
                // gateway (docs/api.md, "The services behind the gateway").
                ["Internal__Key"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)),
                ["Worker__ChatUrl"] = $"http://127.0.0.1:{DevPort("chat")}",
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                // Its "Now listening on", "Content root path" and "Press Ctrl+C" lines, five per service, say what the
                // table below says, or what is not so here (Ctrl+C goes to this build).
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning",
            };
            foreach (var migrating in DevCatalog.Services.Where(s => s.Migrate))
            {
                var service = DevServices.Single(s => s.Name == migrating.Name);
                Log.Info($"Migrating the {migrating.Name} schema...");
                ProcessRunner.Run("dotnet", [ServiceDll(service.Project), "migrate"], Path.GetDirectoryName(ServiceDll(service.Project)), environment, cancellationToken);
            }

            // Again: the build takes a minute or more, and a port taken meanwhile (helper-91: a SystemUp started during
            // it) would otherwise end in a service's bind failure and stack trace.
            CheckDevPortsFree();
            await using var supervisor = new ServiceSupervisor(TimeProvider.System, Log.Info, Log.Warning);
            IReadOnlyList<ServiceStop> stops;
            try
            {
                foreach (var service in DevServices)
                {
                    var serviceEnvironment = new Dictionary<string, string>(environment)
                    {
                        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{service.Port}",
                        [PortHolder.DevRunVariable] = PortHolder.DevRunValue(service.Name, Environment.ProcessId, RootDirectory),
                    };
                    if (service.Name == "orchestrator")
                    {
                        serviceEnvironment["Http2Port"] = DevOrchestratorHttp2Port.ToString(CultureInfo.InvariantCulture);
                    }

                    // The content root is the working directory: the output folder holds appsettings.json.
                    var dll = ServiceDll(service.Project);
                    supervisor.Start(service.Name, () => BackgroundProcess.Start(service.Name, "dotnet", [dll], Path.GetDirectoryName(dll)!, serviceEnvironment));
                }
                // The frontend's server calls the gateway for the page and adds the key; browsers never see it.
                var frontendEnvironment = new Dictionary<string, string>
                {
                    ["PORT"] = FrontendPort.ToString(CultureInfo.InvariantCulture),
                    ["HOST"] = "127.0.0.1",
                    ["GATEWAY_URL"] = $"http://127.0.0.1:{DevPort("gateway")}",
                    ["API_KEY"] = DevApiKey,
                    ["ALLOWED_HOSTS"] = "localhost,127.0.0.1",
                    [PortHolder.DevRunVariable] = PortHolder.DevRunValue("frontend", Environment.ProcessId, RootDirectory),
                };
                if (interruptIgnored)
                {
                    // Run in a script's background: the .NET services keep ignoring SIGINT as this build does; node resets it.
                    frontendEnvironment["IGNORE_SIGINT"] = "1";
                }

                supervisor.Start("frontend", () => BackgroundProcess.Start("frontend", "node", ["server.mjs"], frontend, frontendEnvironment));

                var ports = DevListeners;
                foreach (var (name, port) in ports)
                {
                    await WaitHealthy(name, port, supervisor, cancellationToken);
                }

                var table = new TextTable("Service", "Address", "Answers");
                foreach (var (name, port) in ports)
                {
                    table.AddRow(name, $"http://localhost:{port}", DevAudience(name));
                }

                table.AddRow("postgres", DevCredentials.Masked(postgres), "").AddRow("redis", DevCredentials.Masked(redis), "");
                foreach (var line in table.Render())
                {
                    Log.Info(line);
                }

                if (containers.Contains(DevPostgresContainer))
                {
                    Log.Info($"The servers' passwords are in their containers' environment ({DevCredentials.PostgresVariable}, {DevCredentials.RedisVariable}); " +
                        $"docker exec -it {DevPostgresContainer} psql -U postgres agentsystem needs none.");
                }

                Log.Success($"AgentSystem is running: open http://localhost:{FrontendPort} (API key '{DevApiKey}'). A service that exits is started again; " +
                    $"{(interruptIgnored ? "" : "Ctrl+C or ")}SIGTERM (kill {Environment.ProcessId}) stops them all.");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The documented stop: what follows cleans up, and the run ends stopped, not cancelled.
                }
            }
            finally
            {
                // Ctrl+C in a terminal reaches the services too (one process group): they may have begun before their SIGTERM.
                Log.Info($"Stopping the services (SIGTERM to each, or the terminal's Ctrl+C if it came first; up to {DevDrainTimeout.TotalSeconds:0} s to drain)...");
                stops = await supervisor.StopAsync(DevDrainTimeout);
                var summary = new TextTable("Service", "Stop", "Restarts");
                foreach (var stop in stops)
                {
                    summary.AddRow(stop.Name, stop.Outcome, stop.Restarts.ToString(CultureInfo.InvariantCulture));
                }

                foreach (var line in summary.Render())
                {
                    Log.Info(line);
                }

                if (containers.Count > 0)
                {
                    Log.Info($"Kept running for next time: {string.Join(", ", containers)} (docker rm -f {string.Join(' ', containers)} removes them).");
                }
            }
            if (stops.All(s => !s.Killed))
            {
                Log.Success("AgentSystem stopped: no service had to be killed (above); none is left running.");
            }
            throw ServiceStop.Ending(stops, DevDrainTimeout);
        });

    private string ServiceDll(string project) => ProjectDll(project, Configuration);

    // Who each address is for: a newcomer's curl to the orchestrator got a 401 with no word why.
    private string DevAudience(string service) => service switch
    {
        "frontend" => "the page (it adds the key)",
        "gateway" => $"the API, with the key '{DevApiKey}'",
        "worker" => "/healthz, /readyz and /metrics",
        "orchestrator" or "chat" => "/healthz and /readyz; the rest only to the gateway and the worker (their internal key)",
        _ => "",
    };

    /// <summary>Every port Dev's processes listen on, with the process's name.</summary>
    private List<(string Name, int Port)> DevListeners => [.. DevServices.Select(s => (s.Name, s.Port)), ("frontend", FrontendPort)];

    /// <summary>
    /// Before any container or service starts (DevServers checks first, then Dev again): a service that cannot bind its
    /// port dies with a stack trace, minutes in.
    /// </summary>
    private void CheckDevPortsFree()
    {
        var busy = LocalPorts.InUse([.. DevListeners, ("orchestrator, HTTP/2", DevOrchestratorHttp2Port)]);
        if (busy.Count == 0)
        {
            return;
        }

        var list = string.Join(", ", busy.Select(b => $"{b.Port} ({b.Name})"));
        // SystemUp publishes the gateway's and the frontend's ports only. Named by its containers' labels when Docker
        // runs: on a shared machine the system may be someone else's (helper-91 was told to take down another's).
        var published = busy.FirstOrDefault(b => b.Port == SystemDefaults.GatewayPort || b.Port == SystemDefaults.FrontendPort);
        var system = published != default && _docker is not null ? PublishingSystem(published.Port, IPAddress.Loopback) : null;
        // helper-102: another clone's Dev run was taken for a system SystemUp started.
        var holder = system is null ? PortHolder.Of(busy[0].Port) : null;
        var advice = system is { } found
            ? $"System '{found.Name}' (SystemUp's, from {found.Checkout}) publishes {published.Port}: {SystemDownCommand(found.Name)} there"
              + $" removes it if it is yours, or use it: it serves the same page. Otherwise stop what holds the port: {LocalPorts.ProcessCommand(busy[0].Port)} names it."
            // SystemUp's port and Docker not asked whose (no holder read, or a container's proxy): maybe a system of ours.
            : published != default && (holder is null || holder.IsDockerProxy && _docker is null)
            ? $"A system SystemUp started? {SystemDownCommand(DefaultSystemName)} stops it (--system-name NAME for one started under"
              + $" another name: {LocalPorts.ContainersCommand(published.Port)} names its containers, NAME-...),"
              + $" or use it: it serves the same page. Otherwise stop what holds the port: {LocalPorts.ProcessCommand(busy[0].Port)} names it."
            : PortAdvice(holder, busy[0].Port);
        throw new TargetFailedException(
            $"Dev listens on 127.0.0.1, and something listens on {list} already. {advice}",
            $"in use: {list}");
    }

    /// <summary>The servers given by the environment, else DevServers' containers; the containers, for the closing hint.</summary>
    private (string Postgres, string Redis, IReadOnlyList<string> Containers) DevInfrastructure()
    {
        var containers = new List<string>();
        var postgres = EnvironmentVariable(DevPostgresVariable);
        if (postgres is null)
        {
            containers.Add(DevPostgresContainer);
            postgres = $"Host=127.0.0.1;Port={DevPostgresPort};Username=postgres;Password={DevPassword(DevPostgresContainer, DevCredentials.PostgresVariable)};Database=agentsystem";
        }
        else
        {
            Log.Info($"Using PostgreSQL from {DevPostgresVariable}.");
        }

        var redis = EnvironmentVariable(DevRedisVariable);
        if (redis is null)
        {
            containers.Add(DevRedisContainer);
            redis = $"127.0.0.1:{DevRedisPort}" + (DevPassword(DevRedisContainer, DevCredentials.RedisVariable) is { } password ? $",password={password}" : "");
        }
        else
        {
            Log.Info($"Using Redis from {DevRedisVariable}.");
        }

        return (postgres, redis, containers);
    }

    /// <summary>
    /// The password the container was made with (<see cref="DevCredentials"/>); null: none. One made before they had
    /// their own ('dev', none) goes on working, with a warning, since any program on the machine can use it.
    /// </summary>
    private string? DevPassword(string container, string variable)
    {
        var inspected = ProcessRunner.Capture(Docker.Cli, ["inspect", "--format", "{{json .Config.Env}}", container], cancellationToken: CancellationToken);
        var password = inspected.ExitCode == 0
            ? DevCredentials.FromEnvironment(inspected.Output, variable)
            : throw new TargetFailedException($"Could not read {container}'s settings: {inspected.Error.Trim()}");
        if (password is null or DevCredentials.OldPostgresPassword)
        {
            Log.Warning($"{container} was made by an older version, {(password is null ? "without a password" : "with the password 'dev'")}: any program on this " +
                $"machine can use it. docker rm -f {container} (its data goes with it) makes the next run start one with a random password.");
        }

        return password;
    }

    /// <param name="passwordVariable">A new container gets a new random password in this variable of its environment.</param>
    private void StartContainerOnce(string name, string image, int hostPort, int containerPort, string[] options, string[] command, string passwordVariable)
    {
        var state = ProcessRunner.Capture(Docker.Cli, ["inspect", "--format", "{{.State.Running}}", name], cancellationToken: CancellationToken);
        if (state.ExitCode == 0 && state.Output.Trim() == "true")
        {
            Log.Info($"{name} is already running.");
            return;
        }
        if (state.ExitCode == 0)
        {
            // Stopped (a reboot, a docker restart): started again with its data. One that will not start (its port
            // taken, say) is left for the user: removing it would lose the data, and a new one would meet the same cause.
            var start = ProcessRunner.Capture(Docker.Cli, ["start", name], cancellationToken: CancellationToken);
            if (start.ExitCode != 0)
            {
                throw new TargetFailedException(
                    $"{name} was stopped and would not start again: {start.Error.Trim()} (docker rm -f {name} makes the next run start a new one, without its data)",
                    $"{name} would not start");
            }

            Log.Info($"{name} was stopped: started it again, with its data.");
            return;
        }

        Log.Info($"Starting {name} ({image}) on 127.0.0.1:{hostPort}...");
        // Captured: docker run -d prints the container's id, which tells a reader nothing.
        // The password through the CLI's environment ("-e NAME" passes it on), not its arguments, which ps shows.
        var run = ProcessRunner.Capture(Docker.Cli, ["run", "-d", "--name", name, "-p", $"127.0.0.1:{hostPort}:{containerPort}", .. options, image, .. command],
            environment: new Dictionary<string, string> { [passwordVariable] = DevCredentials.NewPassword() }, cancellationToken: CancellationToken);
        if (run.ExitCode != 0)
        {
            throw new TargetFailedException($"Could not start {name}: {run.Error.Trim()}");
        }
    }

    /// <summary>pg_isready against TCP succeeds only after the image's init scripts ran and the real server listens.</summary>
    private void WaitForDevPostgres() =>
        WaitForDevServer("PostgreSQL", DevPostgresContainer, ["pg_isready", "-h", "localhost", "-q"], static probe => probe.ExitCode == 0);

    /// <summary>Redis answers LOADING, not PONG, while it replays its append-only file (a restarted container's data).</summary>
    private void WaitForDevRedis() =>
        WaitForDevServer("Redis", DevRedisContainer, ["sh", "-c", DevCredentials.RedisCliCommand, "redis-cli", "ping"], static probe => probe.ExitCode == 0 && probe.Output.Trim() == "PONG");

    private void WaitForDevServer(string server, string container, string[] probe, Func<ProcessResult, bool> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ready(ProcessRunner.Capture(Docker.Cli, ["exec", container, .. probe], cancellationToken: CancellationToken)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TargetFailedException($"{server} was not ready within 60 s; see: docker logs {container}");
            }

            Thread.Sleep(250);
        }
    }

    private static async Task WaitHealthy(string name, int port, ServiceSupervisor supervisor, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            // One that fails at start would fail again: stop the run rather than restart it forever.
            if (supervisor.FirstExit(name) is { } code)
            {
                throw new TargetFailedException($"{name} exited with {ServiceSupervisor.Describe(code)} while starting (its output is above).");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            if (DateTime.UtcNow > deadline)
            {
                throw new TargetFailedException($"{name} did not answer /healthz on port {port} within 90 s.");
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
