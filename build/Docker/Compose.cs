using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Docker;

/// <summary>One container of a compose project, as <c>docker inspect</c> reports it.</summary>
public sealed record ComposeContainer(string Id, string Name, string Service, string Status, string? Health, int ExitCode)
{
    /// <summary>The id of the image it runs ("sha256:...").</summary>
    public string ImageId { get; init; } = "";

    /// <summary>The image as Compose named it when it made the container ("agentsystem/gateway:abc1234").</summary>
    public string ImageName { get; init; } = "";

    /// <summary>Compose's hash of the service's configuration the container was made from (its config-hash label).</summary>
    public string ConfigHash { get; init; } = "";

    /// <summary>Its published ports: port inside the container to port on the host.</summary>
    public IReadOnlyDictionary<int, int> PublishedPorts { get; init; } = new Dictionary<int, int>();

    /// <summary>The host port each published port was asked for, by port inside ("" for any free one: Compose's "127.0.0.1::8080").</summary>
    public IReadOnlyDictionary<int, string> RequestedHostPorts { get; init; } = new Dictionary<int, string>();

    /// <summary>The host address each published port was asked for, by port inside; kept while the container is stopped.</summary>
    public IReadOnlyDictionary<int, string> RequestedHostAddresses { get; init; } = new Dictionary<int, string>();

    /// <summary>The host addresses they are published on ("127.0.0.1"), by port on the host.</summary>
    public IReadOnlyDictionary<int, string> PublishedAddresses { get; init; } = new Dictionary<int, string>();

    /// <summary>Its environment variables.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Up and, when the image has a health check, healthy.</summary>
    public bool Healthy => Status == "running" && Health is null or "healthy";

    /// <summary>A one-shot (a migration) that finished well.</summary>
    public bool Completed => Status == "exited" && ExitCode == 0;

    public override string ToString() => $"{Service} ({Name}): {Status}{(Health is null ? "" : $", {Health}")}{(Status == "exited" ? $", exit code {ExitCode}" : "")}";
}

/// <summary>
/// The compose file driven through whichever Compose is here: <c>docker compose</c> (v2), else <c>docker-compose</c>
/// (1.29, Debian's), which the build installs as root on Debian or Ubuntu, as it installs docker.io.
/// </summary>
public sealed class Compose
{
    private readonly DockerEngine _docker;
    private readonly string _file;
    private readonly string _logDirectory;
    private readonly CancellationToken _cancellationToken;

    public string Project { get; }

    /// <summary>The command: "docker compose" or "docker-compose".</summary>
    public IReadOnlyList<string> Command { get; }

    /// <summary>What the compose file interpolates: images, ports, the API key.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    private Compose(DockerEngine docker, IReadOnlyList<string> command, string file, string project, string logDirectory, CancellationToken cancellationToken)
    {
        (_docker, Command, _file, Project, _logDirectory, _cancellationToken) = (docker, command, file, project, logDirectory, cancellationToken);
    }

    /// <summary>The same project, its commands run to their end whatever the build's token says (a cleanup after Ctrl+C).</summary>
    public Compose WithoutCancellation()
    {
        var copy = new Compose(_docker, Command, _file, Project, _logDirectory, CancellationToken.None);
        foreach (var (name, value) in Environment)
        {
            copy.Environment[name] = value;
        }

        return copy;
    }

    /// <summary>The variable the compose file names a service's image by: AGENTSYSTEM_GATEWAY_IMAGE.</summary>
    public static string ImageVariable(string service) => $"AGENTSYSTEM_{service.ToUpperInvariant().Replace('-', '_')}_IMAGE";

    public static Compose Find(DockerEngine docker, string file, string project, string logDirectory, CancellationToken cancellationToken) =>
        new(docker, FindCommand(docker, logDirectory, cancellationToken), file, project, logDirectory, cancellationToken);

    private static IReadOnlyList<string> FindCommand(DockerEngine docker, string logDirectory, CancellationToken cancellationToken)
    {
        foreach (var cli in new[] { docker.Cli, "docker" }.Distinct())
        {
            if (Answers(cli, ["compose", "version"], cancellationToken))
            {
                return [cli, "compose"];
            }
        }
        if (Answers("docker-compose", ["version"], cancellationToken))
        {
            return ["docker-compose"];
        }

        if (!Apt.CanInstall(out var why))
        {
            throw new TargetFailedException($"No Docker Compose here: install the compose plugin (docker compose) or docker-compose, then run this again ({why}, so the build cannot).");
        }

        Log.Warning("No Docker Compose here; this is root on Debian/Ubuntu, so the build installs Debian's docker-compose.");
        Apt.Install(["docker-compose"], logDirectory, cancellationToken);
        return Answers("docker-compose", ["version"], cancellationToken) ? ["docker-compose"]
            : throw new TargetFailedException("apt-get installed docker-compose, but 'docker-compose version' does not answer.");
    }

    private static bool Answers(string fileName, string[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            return ProcessRunner.Capture(fileName, arguments, cancellationToken: cancellationToken).ExitCode == 0;
        }
        catch (ToolFailedException)
        {
            return false;
        }
    }

    /// <summary>Starts (or brings up to date) every service; the output goes to the log.</summary>
    public void Up(IReadOnlyDictionary<string, int> scale)
    {
        var arguments = new List<string> { "up", "--detach", "--no-build", "--remove-orphans" };
        foreach (var (service, count) in scale)
        {
            arguments.AddRange(["--scale", $"{service}={count}"]);
        }

        LoggedStep.Run($"compose up ({Project})", LogPath("up"), Command[0], [.. Arguments(arguments)], environment: RunEnvironment(), cancellationToken: _cancellationToken);
    }

    /// <summary>
    /// Removes the project's containers, networks and volumes (nothing else), says which, and fails when one is left;
    /// false when there was nothing to remove.
    /// </summary>
    public bool Down()
    {
        var before = Resources();
        LoggedStep.Run($"compose down ({Project})", LogPath("down"), Command[0], [.. Arguments(["down", "--volumes", "--remove-orphans", "--timeout", "10"])],
            environment: RunEnvironment(), cancellationToken: _cancellationToken);
        var left = Resources();
        // Compose removes only the networks its file declares now: the "default" network of a system started from an
        // older file (whose containers were on it) outlives `down`. Compose's labels say it is this project's default.
        var removal = "";
        if (left.Keys.SequenceEqual(["networks"]))
        {
            var defaults = ProcessRunner.Capture(_docker.Cli, ["network", "ls", "--quiet", "--filter", ProjectLabel(Project), "--filter", "label=com.docker.compose.network=default"],
                cancellationToken: _cancellationToken).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (defaults.Length > 0)
            {
                removal = ProcessRunner.Capture(_docker.Cli, ["network", "rm", .. defaults], cancellationToken: _cancellationToken).Error.Trim();
                left = Resources();
            }
        }

        // Counts: the names of a whole system made one line of 545 characters (compose's own log names each).
        Log.Info(before.Count == 0 ? $"Nothing of compose project '{Project}' was on this engine."
            : $"Removed from compose project '{Project}': {Count(before)} (named in {LoggedStep.DisplayPath(LogPath("down"))}).");
        if (left.Count > 0)
        {
            throw new TargetFailedException($"Still there after compose down: {Describe(left)}.{(removal.Length > 0 ? $" docker network rm: {removal}" : "")}");
        }

        return before.Count > 0;
    }

    /// <summary>"2 containers, 1 network".</summary>
    private static string Count(SortedDictionary<string, string[]> resources) =>
        string.Join(", ", resources.Select(kind => $"{kind.Value.Length} {(kind.Value.Length == 1 ? kind.Key.TrimEnd('s') : kind.Key)}"));

    /// <summary>"containers a, b; networks c".</summary>
    private static string Describe(SortedDictionary<string, string[]> resources) =>
        string.Join("; ", resources.Select(kind => $"{kind.Key} {string.Join(", ", kind.Value)}"));

    /// <summary>The project's containers, networks and volumes by name, found by the label both Compose versions put on them.</summary>
    private SortedDictionary<string, string[]> Resources()
    {
        var found = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (kind, list) in new[] { ("containers", new[] { "container", "ls", "--all" }), ("networks", ["network", "ls"]), ("volumes", ["volume", "ls"]) })
        {
            var names = ProcessRunner.Capture(_docker.Cli, [.. list, "--filter", ProjectLabel(Project), "--format", kind == "containers" ? "{{.Names}}" : "{{.Name}}"],
                cancellationToken: _cancellationToken).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length > 0)
            {
                found[kind] = [.. names.Order(StringComparer.Ordinal)];
            }
        }

        return found;
    }

    /// <summary>Waits until every service is healthy and every one-shot has finished well; fails with their states otherwise.</summary>
    public IReadOnlyList<ComposeContainer> WaitHealthy(TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        while (true)
        {
            var containers = Containers();
            var failed = containers.FirstOrDefault(c => c.Status == "exited" && c.ExitCode != 0);
            if (failed is not null)
            {
                throw new TargetFailedException($"{failed} while starting. {string.Join("; ", containers)}");
            }

            var waiting = containers.Where(c => !c.Healthy && !c.Completed).ToList();
            if (containers.Count > 0 && waiting.Count == 0)
            {
                return containers;
            }

            if (watch.Elapsed > deadline)
            {
                throw new TargetFailedException($"Not healthy within {deadline.TotalSeconds:0} s: {string.Join("; ", waiting)}.");
            }

            if (watch.Elapsed - lastReport >= TimeSpan.FromSeconds(10))
            {
                lastReport = watch.Elapsed;
                Log.Info($"  waiting for {string.Join(", ", waiting.Select(c => c.Service).Distinct())} ({LoggedStep.Elapsed(watch.Elapsed)})");
            }
            Thread.Sleep(1000);
        }
    }

    /// <summary>The filter for the label both Compose versions put on a project's containers.</summary>
    private static string ProjectLabel(string project) => $"label=com.docker.compose.project={project}";

    /// <summary>The project's containers, found by the label both Compose versions put on them.</summary>
    public IReadOnlyList<ComposeContainer> Containers()
    {
        var ids = ProcessRunner.Capture(_docker.Cli, ["ps", "--all", "--quiet", "--filter", ProjectLabel(Project)],
            cancellationToken: _cancellationToken).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
        {
            return [];
        }

        var inspect = ProcessRunner.Capture(_docker.Cli, ["inspect", .. ids], cancellationToken: _cancellationToken);
        return inspect.ExitCode == 0 ? ParseInspect(inspect.Output) : [];
    }

    /// <summary>The containers in <c>docker inspect</c>'s output, by name.</summary>
    public static IReadOnlyList<ComposeContainer> ParseInspect(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(c =>
        {
            var state = c.GetProperty("State");
            var config = c.GetProperty("Config");
            var health = state.TryGetProperty("Health", out var h) && h.ValueKind == JsonValueKind.Object ? h.GetProperty("Status").GetString() : null;
            var labels = config.GetProperty("Labels");
            return new ComposeContainer(c.GetProperty("Id").GetString()!, c.GetProperty("Name").GetString()!.TrimStart('/'),
                labels.GetProperty("com.docker.compose.service").GetString()!, state.GetProperty("Status").GetString()!, health,
                state.GetProperty("ExitCode").GetInt32())
            {
                ImageId = c.GetProperty("Image").GetString() ?? "",
                ImageName = config.TryGetProperty("Image", out var name) ? name.GetString() ?? "" : "",
                ConfigHash = labels.TryGetProperty(ConfigHashLabel, out var hash) ? hash.GetString() ?? "" : "",
                PublishedPorts = Ports(c),
                PublishedAddresses = Addresses(c),
                RequestedHostPorts = Requested(c, "HostPort"),
                RequestedHostAddresses = Requested(c, "HostIp"),
                Environment = Variables(config),
            };
        }).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>"8080/tcp": [{ "HostPort": "9090" }] as 8080 -> 9090 (the first binding); unpublished ports are null.</summary>
    private static Dictionary<int, int> Ports(JsonElement container) =>
        Bindings(container).DistinctBy(b => b.Inside).ToDictionary(b => b.Inside, b => b.HostPort);

    /// <summary>
    /// A field of <c>HostConfig.PortBindings</c>' first binding by port inside: "8080/tcp": [{ "HostIp": "127.0.0.2",
    /// "HostPort": "" }] as 8080 -> "" for HostPort, 8080 -> "127.0.0.2" for HostIp.
    /// </summary>
    private static Dictionary<int, string> Requested(JsonElement container, string field) =>
        PortMap(container, "HostConfig", "PortBindings").Where(p => p.Bindings.GetArrayLength() > 0).DistinctBy(p => p.Inside)
            .ToDictionary(p => p.Inside, p => p.Bindings[0].TryGetProperty(field, out var value) ? value.GetString() ?? "" : "");

    /// <summary>"8080/tcp": [{ "HostIp": "127.0.0.1", "HostPort": "9090" }] as 9090 -> 127.0.0.1.</summary>
    private static Dictionary<int, string> Addresses(JsonElement container) =>
        Bindings(container).DistinctBy(b => b.HostPort).ToDictionary(b => b.HostPort, b => b.HostIp);

    /// <summary>Every published binding of <c>NetworkSettings.Ports</c>, in order.</summary>
    private static IEnumerable<(int Inside, string HostIp, int HostPort)> Bindings(JsonElement container) =>
        from port in PortMap(container, "NetworkSettings", "Ports")
        from binding in port.Bindings.EnumerateArray()
        let hostPort = int.TryParse(binding.GetProperty("HostPort").GetString(), CultureInfo.InvariantCulture, out var parsed) ? parsed : (int?)null
        where hostPort is not null
        select (port.Inside, binding.TryGetProperty("HostIp", out var ip) ? ip.GetString() ?? "" : "", hostPort.Value);

    /// <summary>A port map of <c>docker inspect</c> (<paramref name="section"/>.<paramref name="name"/>): "8080/tcp": [bindings] as 8080 and the array; null entries left out.</summary>
    private static IEnumerable<(int Inside, JsonElement Bindings)> PortMap(JsonElement container, string section, string name)
    {
        if (!container.TryGetProperty(section, out var parent) || !parent.TryGetProperty(name, out var map) || map.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var port in map.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array))
        {
            if (int.TryParse(port.Name.Split('/')[0], CultureInfo.InvariantCulture, out var inside))
            {
                yield return (inside, port.Value);
            }
        }
    }

    private static Dictionary<string, string> Variables(JsonElement config) =>
        config.TryGetProperty("Env", out var env) && env.ValueKind == JsonValueKind.Array
            ? env.EnumerateArray().Select(e => e.GetString()!.Split('=', 2)).Where(p => p.Length == 2).DistinctBy(p => p[0]).ToDictionary(p => p[0], p => p[1])
            : [];

    /// <summary>The label both Compose versions put on a container: the hash of its service's configuration.</summary>
    private const string ConfigHashLabel = "com.docker.compose.config-hash";

    /// <summary>
    /// The hash of each service's configuration as <see cref="Up"/> would make it now, from this compose file and
    /// <see cref="Environment"/> (Compose compares it with each container's label to decide what to recreate); null,
    /// with what Compose said, when it could not tell.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ConfigHashes(out string problem)
    {
        var result = ProcessRunner.Capture(Command[0], [.. Arguments(["config", "--hash=*"])], environment: RunEnvironment(), cancellationToken: _cancellationToken);
        problem = result.ExitCode == 0 ? "" : $"'{string.Join(' ', Command)} config --hash' exited with {result.ExitCode}: {result.Error.Trim()}";
        return result.ExitCode == 0 ? ParseConfigHashes(result.Output) : null;
    }

    /// <summary><c>config --hash=*</c>'s output, a "SERVICE HASH" line per service, by service.</summary>
    public static IReadOnlyDictionary<string, string> ParseConfigHashes(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);

    /// <summary>The host address a published port ended up on ("127.0.0.1:49153").</summary>
    public string PublishedAddress(string service, int port)
    {
        var result = ProcessRunner.Capture(Command[0], [.. Arguments(["port", service, port.ToString(CultureInfo.InvariantCulture)])],
            environment: RunEnvironment(), cancellationToken: _cancellationToken);
        var address = result.Output.Trim().Split('\n')[0].Trim();
        if (result.ExitCode != 0 || address.Length == 0)
        {
            throw new TargetFailedException($"{service} publishes no port {port}: {result.Error.Trim()}");
        }

        return address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
    }

    /// <summary>Writes every container's logs to FOLDER/NAME.log; returns the folder.</summary>
    public string SaveLogs(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var container in Containers())
        {
            var logs = ProcessRunner.Capture(_docker.Cli, ["logs", "--timestamps", container.Id], cancellationToken: CancellationToken.None);
            File.WriteAllText(Path.Combine(folder, container.Name + ".log"), $"{container}{System.Environment.NewLine}{logs.Output}{logs.Error}");
        }
        return folder;
    }

    private IEnumerable<string> Arguments(IEnumerable<string> command) =>
        Command.Skip(1).Concat(["--file", _file, "--project-name", Project]).Concat(command);

    private Dictionary<string, string> RunEnvironment() => new(Environment) { ["DOCKER_CLI_HINTS"] = "false" };

    private string LogPath(string action) => Path.Combine(_logDirectory, $"compose-{Project}-{action}.log");
}
