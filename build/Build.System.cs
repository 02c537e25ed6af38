using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Testing;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    private const string ComposeFile = "services/docker-compose.yml";
    private const string SystemTestProject = "tests/System/AgentSystem.Stack.Tests/AgentSystem.Stack.Tests.csproj";
    private static readonly TimeSpan SystemHealthDeadline = TimeSpan.FromMinutes(3);
    /// <summary>Two workers, so one can be killed mid-job while the other finishes its work.</summary>
    private static readonly Dictionary<string, int> SystemScale = new() { ["worker"] = 2 };

    private const string DefaultSystemName = "agentsystem";

    [Parameter("Compose project name of the system SystemUp, SystemTest and SystemDown work on", Values = "name")]
    private readonly string SystemName = DefaultSystemName;

    /// <summary>What SystemUp uses for the --system-* values not named when no system runs.</summary>
    private static readonly SystemSettings SystemDefaults = new(8080, 3000, RunningSystem.DevelopmentApiKey);

    [Parameter("Host port of the composed system's gateway (0: any free port); default 8080, or the running system's")]
    private readonly int? SystemGatewayPort;

    [Parameter("Host port of the composed system's frontend (0: any free port); default 3000, or the running system's")]
    private readonly int? SystemFrontendPort;

    [Parameter("API key the composed system's gateway accepts (the frontend's server sends it); default " + RunningSystem.DevelopmentApiKey + ", or the running system's", Values = "key")]
    private readonly string? SystemApiKey;

    private NamedSystemSettings NamedSystemSettings => new(SystemGatewayPort, SystemFrontendPort, SystemApiKey);

    /// <summary>SystemUp's ports, and SystemTest's (it brings a running system up again on ports named for it).</summary>
    private IEnumerable<string> SystemPortProblems() =>
        new (string Option, int? Port)[] { (GivenAs(nameof(SystemGatewayPort)), SystemGatewayPort), (GivenAs(nameof(SystemFrontendPort)), SystemFrontendPort) }
            .Where(named => named.Port is < 0 or > 65535)
            .Select(named => $"{named.Option}: {named.Port} is no port (1 to 65535, or 0 for any free port)");

    private IEnumerable<string> SystemApiKeyProblems() => ApiKeyProblems(nameof(SystemApiKey), SystemApiKey);

    /// <summary>A key the gateway would refuse for its length, named as it was given (--dev-api-key, or its variable).</summary>
    private IEnumerable<string> ApiKeyProblems(string parameter, string? key) =>
        RunningSystem.ApiKeyProblem(GivenAs(parameter), key) is { } problem ? [problem] : [];

    /// <summary>Compose's rule for a project name; anything else it rewrites (Bad/Name runs as badname) or refuses.</summary>
    private IEnumerable<string> SystemNameProblems()
    {
        if (!ComposeProjectName().IsMatch(SystemName))
        {
            yield return $"{GivenAs(nameof(SystemName))}: '{SystemName}' is no Compose project name (lowercase letters, digits, '-' and '_', starting with a letter or digit)";
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex ComposeProjectName();

    private string SystemArtifacts => Path.Combine(ArtifactsDirectory, "system");

    /// <summary>
    /// SystemUp's refusals, before any image is built (helper-102: they came after Images and BaseImages, whose builds had
    /// moved the shared tags by then); SystemUp checks the ports again, after its builds.
    /// </summary>
    private Target SystemPreflight => _ => _
        .Description("SystemUp's first step: no other checkout's system of its name, and its ports free (or its own system's)")
        .DependsOn(DockerEngine)
        .Before(BaseImages, Images)
        .Reads(() => SystemName, () => SystemGatewayPort, () => SystemFrontendPort)
        .Executes(() =>
        {
            var settings = SystemUpSettings().Settings;
            CheckSystemCanStart(SystemName, settings);
            // Said, not only checked: the section was empty in the log (helper-113).
            // A port of 0 is any free one, chosen when the system starts: nothing to check or say.
            var fixedPorts = string.Join(", ", new[] { (Name: "gateway", Port: settings.GatewayPort), (Name: "frontend", Port: settings.FrontendPort) }
                .Where(p => p.Port > 0).Select(p => $"{p.Name} port {p.Port}"));
            Log.Info($"The system '{SystemName}' can start: no other checkout's system has its name"
                + (fixedPorts.Length > 0 ? $", and its ports are free or its own ({fixedPorts})." : "."));
        });

    private Target SystemUp => _ => _
        .Description("Runs the whole system on Docker from the images (compose), waits until every service is healthy, prints the addresses")
        .DependsOn(DockerEngine, SystemPreflight, Images, BaseImages)
        .Reads(() => SystemName, () => SystemGatewayPort, () => SystemFrontendPort, () => SystemApiKey)
        // Every service: it builds each image Images did not (a skipped Images in the plan is not the whole story).
        .Touches(() => EveryServiceName)
        .Validates(SystemPortProblems)
        .Validates(SystemNameProblems)
        .Validates(SystemApiKeyProblems)
        .Executes(() =>
        {
            var (settings, running) = SystemUpSettings();
            if (running)
            {
                Log.Info($"The system '{SystemName}' is running: it keeps its ports and API key where no --system-* value names others ({Where(settings)}),"
                    + " and its address and served names where AGENTSYSTEM_BIND and AGENTSYSTEM_ALLOWED_HOSTS are not set.");
            }

            PrintSystem(StartSystem(SystemName, settings), settings.ApiKey);
        });

    /// <summary>
    /// What SystemUp starts the system with, and whether it runs: a running one's ports and key where no --system-* value
    /// names others. Refused when another checkout started the system of that name.
    /// </summary>
    private (SystemSettings Settings, bool Running) SystemUpSettings()
    {
        if (ForeignCheckoutOf(SystemName) is { } other)
        {
            throw new TargetFailedException(ForeignSystemProblem(SystemName, other), $"'{SystemName}' runs from {other}");
        }

        var running = ReadRunningSystem();
        return (running?.Settings ?? NamedSystemSettings.Or(SystemDefaults), running is not null);
    }

    private Target SystemDown => _ => _
        .Description("Removes the composed system: its containers, networks and volumes, nothing else")
        .DependsOn(DockerEngine)
        .After(SystemUp, SystemTest)
        .Reads(() => SystemName)
        .Validates(SystemNameProblems)
        .Executes(() =>
        {
            if (ForeignCheckoutOf(SystemName) is { } other)
            {
                Log.Info($"The system '{SystemName}' runs from another checkout ({other}); removing it, as asked.");
            }

            // helper-95: a mistyped --system-name removed nothing and said only that.
            if (!FindSystem(SystemName).Down() && RunningSystems() is { Count: > 0 } running)
            {
                Log.Info($"Running: {string.Join(", ", running.Select(s => $"'{s.Name}' (from {s.Checkout})"))}.");
            }
        });

    private Target SystemTest => _ => _
        .Description("Drives the composed system through the gateway (tasks, chat, bad input, a worker killed, Redis restarted) and the page in Chromium")
        .WritesOutputs()
        .DependsOn(DockerEngine, Images, BaseImages, Chromium)
        .After(SystemUp, UnitTest, IntegrationTest)
        .Reads(() => SystemName, () => SystemGatewayPort, () => SystemFrontendPort, () => SystemApiKey)
        .Validates(SystemPortProblems)
        .Validates(SystemNameProblems)
        .Validates(SystemApiKeyProblems)
        .Touches(() => EveryServiceName)
        .Validates(() => NamedWithService(nameof(SystemTest), "it tests the whole system"))
        .OnlyWhenStatic(() => Service is not { Length: > 0 }, "--service selects one service; the system test runs for the whole system")
        // Named, it runs whatever changed, on the system SystemUp started or one of its own (helper-63: on a clean checkout
        // with none running it skipped and the build succeeded); as a step of Test, only when affected.
        .OnlyWhenStatic(() => SystemTests.Affected(Changes, RootDirectory) || RequestedTargets.Contains(nameof(SystemTest)),
            $"no service with an image is affected, nor a system test project; named ({BuildScript.Command} SystemTest) or with --all it runs anyway")
        .Executes(() =>
        {
            PrepareTestResults();
            var before = TestsSoFar();
            if (ForeignCheckoutOf(SystemName) is { } other)
            {
                // Updating it would put this checkout's images on another's system, and the tests kill and restart parts of it.
                Log.Warning($"The system '{SystemName}' runs from another checkout ({other}): it is left alone, and the test runs on a system of its own.");
                TestSystemOfItsOwn(nameOthers: false);
            }
            else if (ReadRunningSystem() is { } running)
            {
                TestRunningSystem(running);
            }
            else
            {
                TestSystemOfItsOwn();
            }
            TallyAndCheck("system", before);
        });

    /// <summary>
    /// Tests the system SystemUp started (in this run or before) where it runs: brought up again first only when this run
    /// changes something about it (RunningSystem says what), and then still on its own ports and key unless others are named.
    /// </summary>
    private void TestRunningSystem(RunningSystem running)
    {
        var compose = FindSystem(SystemName);
        var where = Where(running.Settings);
        if (running.AsItIs)
        {
            // As it is: its images, ports and key stay. The tests still act on it (helper-63: "changes nothing" was untrue).
            Log.Info($"Testing the running system '{SystemName}' as it is ({where}): the tests add tasks and conversations to it, kill a worker and restart its Redis, and check that it carries on.");
            WarnAboutConfigDrift(compose, running.Settings);
        }
        else
        {
            Log.Warning($"Updating the running system '{SystemName}' before testing it, with {string.Join("; ", running.Changes)}; then it runs on {where}.");
            compose = StartSystem(SystemName, running.Settings);
        }

        try
        {
            if (running.AsItIs)
            {
                compose.WaitHealthy(SystemHealthDeadline);
            }

            RunSystemTests(compose, running.Settings.ApiKey);
        }
        finally
        {
            SaveSystemLogs(compose);
        }
    }

    /// <summary>
    /// A target for the whole system named with --service: it was skipped and the build succeeded with nothing run
    /// (helper-102); as a step of Test it is skipped.
    /// </summary>
    private IEnumerable<string> NamedWithService(string target, string why) =>
        RequestedTargets.Contains(target) && Service is { Length: > 0 }
            ? [$"{why}, and --service selects one service: leave out --service ({BuildScript.Command} {target}), or run that service's tests ({BuildScript.Command} Test --service NAME)."]
            : [];

    /// <summary>What names SystemTest's own systems: NAME-test-PID.</summary>
    private const string TestSystemInfix = "-test-";

    [GeneratedRegex($"^.+{TestSystemInfix}[0-9]+$")]
    private static partial Regex TestSystemName();

    /// <summary>
    /// A system of its own, on free ports and under a name of its own, removed afterwards whatever happened; with a short
    /// lease, so a killed worker's job is back in the queue within seconds.
    /// </summary>
    /// <param name="nameOthers">Say which other systems this checkout runs ("No system 'NAME' runs; ..."): not when one of that name runs from another checkout.</param>
    private void TestSystemOfItsOwn(bool nameOthers = true)
    {
        var name = $"{SystemName}{TestSystemInfix}{Environment.ProcessId}";
        if (nameOthers && OtherSystemsOf(RootDirectory, SystemName, RunningSystems()) is { } others)
        {
            Log.Info(others);
        }

        Log.Info($"Starting a system of its own for the test: '{name}'.");
        var settings = NamedSystemSettings.Or(SystemDefaults) with { GatewayPort = 0, FrontendPort = 0 };
        Compose? compose = null;
        try
        {
            compose = StartSystem(name, settings, new() { ["AGENTSYSTEM_QUEUE_VISIBILITY_TIMEOUT"] = "00:00:05" });
            RunSystemTests(compose, settings.ApiKey);
        }
        finally
        {
            // Not under the build's token: after Ctrl+C it cancelled this cleanup before it began, and the system ran on.
            // Compose's own --timeout bounds the down; a second Ctrl+C still ends the build at once.
            var own = compose?.WithoutCancellation() ?? FindSystem(name, CancellationToken.None);
            if (compose is not null)
            {
                SaveSystemLogs(own);
            }

            own.Down();
        }
    }

    /// <summary>The system SystemUp starts (--system-name), as it runs, with what it says it could not read; null when it does not run.</summary>
    private RunningSystem? ReadRunningSystem()
    {
        var running = RunningSystem.Read(FindSystem(SystemName).Containers(), _images.Values, ContainerPort("gateway"), ContainerPort("frontend"), NamedSystemSettings, SystemDefaults);
        foreach (var note in running?.Notes ?? [])
        {
            Log.Warning(note);
        }

        return running;
    }

    private static string Where(SystemSettings settings) => $"gateway port {settings.GatewayPort}, frontend port {settings.FrontendPort}";

    /// <summary>The compose project <paramref name="name"/> of services/docker-compose.yml, running or not.</summary>
    private Compose FindSystem(string name) => FindSystem(name, CancellationToken);

    private Compose FindSystem(string name, CancellationToken cancellationToken) =>
        Compose.Find(Docker, Path.Combine(RootDirectory, ComposeFile), name, StepLogs, cancellationToken);

    private void SaveSystemLogs(Compose compose) =>
        Log.Info($"Container logs: {LoggedStep.DisplayPath(compose.SaveLogs(Path.Combine(SystemArtifacts, "logs")))}");

    /// <summary>
    /// Before the images are built, which can take minutes: compose would start half the system and then stop at the taken
    /// port. A port its own containers hold on the same address is no conflict (they are recreated).
    /// </summary>
    private (Compose Compose, IReadOnlyList<ComposeContainer> Containers) CheckSystemCanStart(string name, SystemSettings settings)
    {
        var compose = FindSystem(name);
        var containers = compose.Containers();
        // Set, even empty (compose's 127.0.0.1), this run's value is the one compose publishes on, as SetSystemVariables decides.
        var bindValue = EnvironmentVariables.TryGetValue(BindVariable, out var set) ? set : KeptVariables(containers, ContainerPort("gateway")).GetValueOrDefault(BindVariable);
        var bind = bindValue is { Length: > 0 } given && IPAddress.TryParse(given, out var parsed) ? parsed : IPAddress.Loopback;
        var held = containers.SelectMany(c => c.PublishedAddresses).Where(p => p.Value == bind.ToString()).Select(p => p.Key).ToList();
        if (SamePortProblem(settings) is { } same)
        {
            throw new UsageException(same);
        }

        if (PortsTakenProblem(settings, held, bind, port => PublishingSystem(port, bind), RootDirectory, PortHolder.Of) is { } taken)
        {
            throw new TargetFailedException(taken, "a port it publishes is in use");
        }

        return (compose, containers);
    }

    /// <summary>Builds the images this run has not (services not affected), then brings the system up and waits for it.</summary>
    private Compose StartSystem(string name, SystemSettings settings, Dictionary<string, string>? variables = null)
    {
        var (compose, running) = CheckSystemCanStart(name, settings);
        BuildEveryImage();
        SetSystemVariables(compose, running, settings, _images.Values.Select(i => (i.Service, i.Image)), variables);
        try
        {
            compose.Up(SystemScale);
            var containers = compose.WaitHealthy(SystemHealthDeadline);
            Log.Info($"{containers.Count(c => c.Healthy)} container(s) healthy, {containers.Count(c => c.Completed)} one-shot(s) done.");
        }
        catch (TargetFailedException) when (!CancellationToken.IsCancellationRequested)
        {
            Log.Error($"The system did not come up; container logs: {LoggedStep.DisplayPath(compose.SaveLogs(Path.Combine(SystemArtifacts, "logs")))}"
                + (name == SystemName ? $"; {SystemDownCommand(name)} removes what started." : "."));
            throw;
        }
        catch (Exception) when (CancellationToken.IsCancellationRequested && name == SystemName)
        {
            // helper-99: an interrupted SystemUp left six containers running without a word (SystemTest's own are removed).
            Log.Warning(InterruptedNote(name, settings));
            throw;
        }
        return compose;
    }

    /// <summary>
    /// What to say of a system whose start was interrupted: what started runs on, and how to remove or finish it. Its
    /// ports are given again: they are read from its gateway and frontend, which may not have started (helper-129: a plain
    /// SystemUp after one fell back to 8080 and 3000). A key of the user's is not printed.
    /// </summary>
    internal static string InterruptedNote(string name, SystemSettings settings) =>
        $"Interrupted while the system '{name}' came up: what started runs on; {SystemDownCommand(name)} removes it, "
        + $"{SystemCommand(nameof(SystemUp), name)} --system-gateway-port {settings.GatewayPort} --system-frontend-port {settings.FrontendPort}"
        + (settings.ApiKey == RunningSystem.DevelopmentApiKey ? "" : " with the same --system-api-key") + " finishes it.";

    /// <summary>
    /// What the compose file interpolates and the build decides: base images, each service's image, ports, API key, and
    /// what <paramref name="running"/> (the system's containers, as read before) keeps.
    /// </summary>
    private void SetSystemVariables(Compose compose, IReadOnlyList<ComposeContainer> running, SystemSettings settings, IEnumerable<(string Service, string Image)> images, Dictionary<string, string>? variables = null)
    {
        foreach (var (variable, image) in BaseImageEnvironment)
        {
            compose.Environment[variable] = image;
        }

        foreach (var (service, image) in images)
        {
            compose.Environment[Compose.ImageVariable(service)] = image;
        }

        compose.Environment["AGENTSYSTEM_GATEWAY_PORT"] = settings.GatewayPort == 0 ? "" : settings.GatewayPort.ToString(CultureInfo.InvariantCulture);
        compose.Environment["AGENTSYSTEM_FRONTEND_PORT"] = settings.FrontendPort == 0 ? "" : settings.FrontendPort.ToString(CultureInfo.InvariantCulture);
        compose.Environment["AGENTSYSTEM_API_KEY"] = settings.ApiKey;
        foreach (var (variable, value) in KeptVariables(running, ContainerPort("gateway")).Where(v => !EnvironmentVariables.ContainsKey(v.Key)))
        {
            compose.Environment[variable] = value;
        }

        foreach (var (variable, value) in variables ?? [])
        {
            compose.Environment[variable] = value;
        }
    }

    /// <summary>
    /// What a running system was started with that no --system-* value carries and this run keeps unless its environment
    /// names it: the address it is published on and the names its frontend and gateway serve (helper-129: SystemTest,
    /// updating a system started with AGENTSYSTEM_BIND=127.0.0.2 and a name in AGENTSYSTEM_ALLOWED_HOSTS, moved it to
    /// 127.0.0.1 and its names back to the default). Empty when the system has no containers.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> KeptVariables(IReadOnlyList<ComposeContainer> containers, int gatewayPort)
    {
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        // As asked for, not as published: a stopped container publishes nothing (helper-131).
        if (containers.FirstOrDefault(c => c.Service == "gateway")?.RequestedHostAddresses.GetValueOrDefault(gatewayPort) is { Length: > 0 } address)
        {
            kept[BindVariable] = address;
        }

        if (containers.FirstOrDefault(c => c.Service == "frontend")?.Environment.GetValueOrDefault(FrontendAllowedHostsVariable) is { } hosts)
        {
            kept[AllowedHostsVariable] = hosts;
        }

        return kept;
    }

    /// <summary>
    /// Warns when the system runs a configuration other than this checkout's compose file and this run's AGENTSYSTEM_*
    /// variables make (M1: a network added to the file, and the tests of it fail on the system started before). It is
    /// tested as it runs, not brought up again: Compose would recreate PostgreSQL's clients with this run's passwords,
    /// and if they are not those the database was made with, the migrations are locked out.
    /// </summary>
    private void WarnAboutConfigDrift(Compose compose, SystemSettings settings)
    {
        var containers = compose.Containers();
        var imageServices = (Changes.Catalog?.Services ?? []).Where(HasDockerfile).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        // A port asked as any free one (0) runs on one, but the containers were made from "" (helper-93).
        int AsAsked(string service, int port) =>
            containers.FirstOrDefault(c => c.Service == service)?.RequestedHostPorts.GetValueOrDefault(ContainerPort(service)) is "" ? 0 : port;
        SetSystemVariables(compose, containers, settings with { GatewayPort = AsAsked("gateway", settings.GatewayPort), FrontendPort = AsAsked("frontend", settings.FrontendPort) },
            containers.Where(c => imageServices.Contains(c.Service) && c.ImageName.Length > 0).DistinctBy(c => c.Service).Select(c => (c.Service, c.ImageName)));
        if (compose.ConfigHashes(out var problem) is not { Count: > 0 } hashes)
        {
            // docker compose 2.23.0 prints nothing, exit code 0 (docker/compose#11145).
            Log.Warning($"Could not compare the running system with this checkout's compose file: {(problem.Length > 0 ? problem : "Compose printed no configuration hashes")}.");
            return;
        }

        var drift = RunningSystem.ConfigDrift(containers, hashes);
        if (drift.Count == 0)
        {
            return;
        }

        var why = containers.Select(c => c.Service).Distinct().All(service => drift.Contains(service))
            // Compose's hashes differ between its versions (1.29 counts the image's id, 2.x changed them in 2.29).
            ? "every service: much changed, or another Compose version started it (its hashes differ)"
            : "a change to either since it was started";
        Log.Warning($"The running system '{compose.Project}' does not run what this checkout's {ComposeFile} and this run's AGENTSYSTEM_* values make of"
            + $" {string.Join(", ", drift)} ({why}). It is tested as it runs, so tests of what changed can fail. To bring it up to date, set the"
            + $" AGENTSYSTEM_* passwords it was started with, then {SystemCommand(nameof(SystemUp), compose.Project)}; or {SystemDownCommand(compose.Project)} and test again.");
    }

    /// <summary>The whole system needs every image: builds those this run has not (services not affected; their layers are usually cached).</summary>
    private void BuildEveryImage()
    {
        var catalog = Changes.Catalog ?? throw new TargetFailedException($"{ServiceCatalog.FileName} could not be read.");
        var missing = catalog.Services.Where(s => HasDockerfile(s) && !_images.ContainsKey(s.Name)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        Log.Info($"The system needs every image; building those not affected too (their layers are usually cached): {string.Join(", ", missing.Select(s => s.Name))}");
        BuildImages(missing);
    }

    private void PrintSystem(Compose compose, string apiKey)
    {
        var table = new TextTable("Service", "Address");
        table.AddRow("frontend", $"http://{compose.PublishedAddress("frontend", ContainerPort("frontend"))}");
        table.AddRow("gateway", $"http://{compose.PublishedAddress("gateway", ContainerPort("gateway"))}");
        foreach (var line in table.Render())
        {
            Log.Info(line);
        }

        // Only the development key is printed: one of the user's own would end up in a CI log or a shared terminal.
        var key = apiKey == RunningSystem.DevelopmentApiKey ? $"API key '{apiKey}'" : "the API key you gave (--system-api-key; not printed)";
        Log.Success($"AgentSystem is running on Docker (compose project '{compose.Project}'): open the frontend; {key}. "
            + $"{SystemCommand(nameof(SystemTest), compose.Project)} tests it, {SystemDownCommand(compose.Project)} removes it.");
    }

    /// <summary>The command that removes the system of this compose project (the name only when it is not the default).</summary>
    private static string SystemDownCommand(string project) => SystemCommand(nameof(SystemDown), project);

    private static string SystemCommand(string target, string project) =>
        project == DefaultSystemName ? $"{BuildScript.Command} {target}" : $"{BuildScript.Command} {target} --system-name {project}";

    /// <summary>A service's port inside its container, from the catalog.</summary>
    private int ContainerPort(string service) => Changes.Catalog?.Find(service)?.Ports is [var port, ..]
        ? port : throw new TargetFailedException($"{ServiceCatalog.FileName} gives {service} no port.");

    private void RunSystemTests(Compose compose, string apiKey)
    {
        var environment = new Dictionary<string, string>(DotnetEnvironment)
        {
            ["AGENTSYSTEM_STACK_GATEWAY"] = $"http://{compose.PublishedAddress("gateway", ContainerPort("gateway"))}",
            ["AGENTSYSTEM_STACK_FRONTEND"] = $"http://{compose.PublishedAddress("frontend", ContainerPort("frontend"))}",
            ["AGENTSYSTEM_STACK_PROJECT"] = compose.Project,
            ["AGENTSYSTEM_STACK_API_KEY"] = apiKey,
            ["AGENTSYSTEM_STACK_DOCKER"] = Docker.Cli,
            ["CHROMIUM_PATH"] = ChromiumPath,
        };
        Log.Info($"dotnet test {SystemTestProject} against {environment["AGENTSYSTEM_STACK_GATEWAY"]} (frontend {environment["AGENTSYSTEM_STACK_FRONTEND"]})");
        try
        {
            // A line per finished test: the suite runs for minutes, and the default console logger is silent until the end.
            ProcessRunner.Run("dotnet", ["test", SystemTestProject, "-c", Configuration.ToString(), "--logger", "trx", "--logger", "console;verbosity=normal",
                "--results-directory", Path.Combine(TestResultsDirectory, "system-tests"), "-nodeReuse:false"],
                RootDirectory, environment, CancellationToken);
        }
        catch (ToolFailedException e)
        {
            _testFailures.Add($"dotnet test {SystemTestProject}: {e.Message}");
        }
        finally
        {
            if (TrxNames.Note(TrxNames.NameByAssembly(Path.Combine(TestResultsDirectory, "system-tests"))) is { } renamed)
            {
                Log.Info(renamed);
            }
        }
    }
}
