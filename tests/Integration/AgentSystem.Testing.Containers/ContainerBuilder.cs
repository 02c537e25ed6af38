using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentSystem.Testing.Containers.Engine;
using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Sessions;
using AgentSystem.Testing.Containers.Waits;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Describes a container and starts it: ports published on loopback with random host ports, the session's labels, and
/// bounded waits. A start that fails removes the container and throws <see cref="ContainerStartException"/>.
/// </summary>
public sealed class ContainerBuilder
{
    private const int UniqueSuffixLength = 8;

    private readonly Dictionary<string, string> environmentVariables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> labels = new(StringComparer.Ordinal);
    private readonly SortedSet<int> ports = [];
    private readonly List<(DockerNetwork Network, string[] Aliases)> networks = [];
    private readonly List<string> binds = [];
    private readonly Dictionary<string, string> tmpfs = new(StringComparer.Ordinal);
    private readonly List<string> volumes = [];
    private readonly List<WaitStrategy> waits = [];
    private LogicalImage? logicalImage;
    private string? imageReference;
    private string[]? command;
    private string[]? entrypoint;
    private string? user;
    private bool readOnlyRootFilesystem;
    private string namePrefix = ContainerDefaults.NamePrefix;
    private TimeSpan startupTimeout = ContainerDefaults.StartupTimeout;

    /// <summary>An image by reference; only AGENTSYSTEM_REGISTRY_PREFIX applies to it.</summary>
    public ContainerBuilder(string image) => WithImage(image);

    /// <summary>An image by role: overridable per image, with a local fallback (see <see cref="KnownImages"/>).</summary>
    public ContainerBuilder(LogicalImage image) => WithImage(image);

    public ContainerBuilder WithImage(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        imageReference = image;
        logicalImage = null;
        return this;
    }

    public ContainerBuilder WithImage(LogicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        logicalImage = image;
        imageReference = null;
        return this;
    }

    public ContainerBuilder WithEnvironment(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        environmentVariables[name] = value;
        return this;
    }

    /// <summary>The command (arguments to the image's entrypoint).</summary>
    public ContainerBuilder WithCommand(params string[] arguments)
    {
        command = arguments;
        return this;
    }

    public ContainerBuilder WithEntrypoint(params string[] arguments)
    {
        entrypoint = arguments;
        return this;
    }

    public ContainerBuilder WithUser(string userOrUid)
    {
        user = userOrUid;
        return this;
    }

    /// <summary>Publishes a TCP port on a random host port of 127.0.0.1; read it with <see cref="DockerContainer.GetMappedPort"/>.</summary>
    public ContainerBuilder WithPortBinding(int containerPort)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(containerPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(containerPort, 65535);
        ports.Add(containerPort);
        return this;
    }

    public ContainerBuilder WithLabel(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        labels[name] = value;
        return this;
    }

    /// <summary>Attaches to a network where other containers reach this one by its name and the aliases.</summary>
    public ContainerBuilder WithNetwork(DockerNetwork network, params string[] aliases)
    {
        ArgumentNullException.ThrowIfNull(network);
        networks.Add((network, aliases));
        return this;
    }

    public ContainerBuilder WithBindMount(string hostPath, string containerPath, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(containerPath);
        binds.Add($"{Path.GetFullPath(hostPath)}:{containerPath}{(readOnly ? ":ro" : string.Empty)}");
        return this;
    }

    /// <summary>A memory file system at the path (writable even with a read-only root); options as for mount, e.g. "size=64m".</summary>
    public ContainerBuilder WithTmpfs(string containerPath, string options = "rw")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerPath);
        tmpfs[containerPath] = options;
        return this;
    }

    /// <summary>A fresh named volume with the session's labels, removed with the container.</summary>
    public ContainerBuilder WithVolume(string containerPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerPath);
        volumes.Add(containerPath);
        return this;
    }

    /// <summary>Mounts the root file system read-only, as production images should run.</summary>
    public ContainerBuilder WithReadOnlyRootFilesystem(bool readOnly = true)
    {
        readOnlyRootFilesystem = readOnly;
        return this;
    }

    /// <summary>Names are prefix-xxxxxxxx, unique per start.</summary>
    public ContainerBuilder WithNamePrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        namePrefix = prefix;
        return this;
    }

    /// <summary>Adds a readiness condition; conditions are awaited in the order added.</summary>
    public ContainerBuilder WithWaitStrategy(WaitStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        waits.Add(strategy);
        return this;
    }

    /// <summary>Bound of the whole start, all waits together (default <see cref="ContainerDefaults.StartupTimeout"/>).</summary>
    public ContainerBuilder WithStartupTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        startupTimeout = timeout;
        return this;
    }

    public async Task<DockerContainer> StartAsync(CancellationToken cancellationToken = default)
    {
        foreach (var port in waits.Select(wait => wait.ContainerPort).OfType<int>().Where(port => !ports.Contains(port)))
        {
            // A configuration mistake: fail now, not after the startup timeout.
            throw new InvalidOperationException(
                $"A wait strategy checks port {port.ToString(CultureInfo.InvariantCulture)}, which is not published: add WithPortBinding({port.ToString(CultureInfo.InvariantCulture)}).");
        }

        var environment = await DockerEnvironment.GetAsync(cancellationToken).ConfigureAwait(false);
        var client = environment.Client;
        var choice = logicalImage is not null
            ? ImageNameResolver.FromProcessEnvironment.Resolve(logicalImage)
            : ImageNameResolver.FromProcessEnvironment.Resolve(imageReference!);
        var image = await environment.Images.EnsureAsync(choice, cancellationToken).ConfigureAwait(false);

        var name = UniqueName(namePrefix);
        var allLabels = AllLabels(environment.Session);
        var volumeNames = new List<string>();
        var clock = Stopwatch.StartNew();
        DockerContainer? container = null;
        try
        {
            foreach (var _ in volumes)
            {
                var volumeName = $"{name}-v{volumeNames.Count.ToString(CultureInfo.InvariantCulture)}";
                await client.CreateVolumeAsync(volumeName, allLabels, cancellationToken).ConfigureAwait(false);
                volumeNames.Add(volumeName);
            }

            var id = await client.CreateContainerAsync(name, CreateSpec(image, allLabels, environment.PublishIp, volumeNames), cancellationToken).ConfigureAwait(false);
            container = new DockerContainer(environment, id, name, image, logicalImage?.Name, volumeNames);
            // The engine takes one network at create (before API 1.44); the others join before the start.
            foreach (var (network, aliases) in networks.Skip(1))
            {
                await client.ConnectNetworkAsync(network.Id, id, aliases, cancellationToken).ConfigureAwait(false);
            }

            await client.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
            await container.RefreshPortsAsync(cancellationToken).ConfigureAwait(false);
            await WaitUntilReadyAsync(container, clock, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whatever went wrong (a wait, the engine, a dropped connection, cancellation): no container is left behind.
            Exception failure = ex;
            if (ex is DockerApiException && container is not null)
            {
                failure = await DescribeFailureAsync(container, "the engine to start it", clock.Elapsed, null, ex).ConfigureAwait(false);
            }

            await RemoveAfterFailureAsync(client, container, volumeNames).ConfigureAwait(false);
            if (ReferenceEquals(failure, ex))
            {
                throw;
            }

            throw failure;
        }

        var timing = new ContainerTiming(image, logicalImage?.Name, name, clock.Elapsed, DateTimeOffset.UtcNow);
        container.Timing = timing;
        ContainerTimings.Record(timing);
        return container;
    }

    internal static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 1 + UniqueSuffixLength)];

    private static async Task RemoveAfterFailureAsync(DockerClient client, DockerContainer? container, List<string> volumeNames)
    {
        try
        {
            if (container is not null)
            {
                await container.DisposeAsync().ConfigureAwait(false);
                return;
            }

            foreach (var volume in volumeNames)
            {
                await client.RemoveVolumeAsync(volume, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (DockerApiException)
        {
            // The failure being reported matters more; the session's exit clean-up or a later sweep removes the rest.
        }
    }

    private static async Task<ContainerStartException> DescribeFailureAsync(
        DockerContainer container, string waitingFor, TimeSpan elapsed, string? lastCheck, Exception? innerException)
    {
        var state = ContainerState.Removed;
        IReadOnlyList<string> lines = [];
        try
        {
            // A bounded look: the report must not hang on the engine that is failing.
            using var timeout = new CancellationTokenSource(ContainerDefaults.AttemptTimeout);
            state = await container.GetStateAsync(timeout.Token).ConfigureAwait(false);
            lines = (await container.GetLogsAsync(ContainerDefaults.FailureLogLines, timeout.Token).ConfigureAwait(false)).Lines;
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or OperationCanceledException)
        {
            lines = [$"(logs unavailable: {ex.Message})"];
        }

        return ContainerStartException.Create(container.Name, container.Image, waitingFor, elapsed, state, lastCheck, lines, innerException);
    }

    private async Task WaitUntilReadyAsync(DockerContainer container, Stopwatch clock, CancellationToken cancellationToken)
    {
        foreach (var wait in waits)
        {
            var budget = wait.Timeout is { } own && own < startupTimeout ? own : startupTimeout;
            var deadline = clock.Elapsed + budget < startupTimeout ? clock.Elapsed + budget : startupTimeout;
            string? lastCheck = null;
            while (true)
            {
                // A container that exited will never become ready: say so now, not after the timeout.
                var state = await container.GetStateAsync(cancellationToken).ConfigureAwait(false);
                if (!state.Running)
                {
                    throw await DescribeFailureAsync(container, wait.Description, clock.Elapsed, lastCheck, null).ConfigureAwait(false);
                }

                var remaining = deadline - clock.Elapsed;
                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    // The last attempt still gets a fair chance, so the report quotes a real answer, not a cut-off one.
                    attempt.CancelAfter(Clamp(remaining, ContainerDefaults.MinimumAttemptTime, ContainerDefaults.AttemptTimeout));
                    try
                    {
                        var check = await wait.CheckAsync(container, attempt.Token).ConfigureAwait(false);
                        if (check.IsReady)
                        {
                            break;
                        }

                        lastCheck = check.Detail;
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        // A refused connection, a hung exec, a client error: not ready yet, and worth quoting.
                        lastCheck = ex is not OperationCanceledException ? $"{ex.GetType().Name}: {ex.Message}"
                            : lastCheck ?? "the check did not answer in time";
                    }
                }

                if (clock.Elapsed >= deadline)
                {
                    var waitedFor = $"{wait.Description} (timeout {budget.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)";
                    throw await DescribeFailureAsync(container, waitedFor, clock.Elapsed, lastCheck, null).ConfigureAwait(false);
                }

                await Task.Delay(wait.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    private Dictionary<string, string> AllLabels(TestSession session)
    {
        var all = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        if (logicalImage is not null)
        {
            all[SessionLabels.LogicalImage] = logicalImage.Name;
        }

        // The session's labels last: a user label must not hide a container from the sweep.
        foreach (var (key, value) in session.Labels)
        {
            all[key] = value;
        }

        return all;
    }

    private JsonObject CreateSpec(string image, Dictionary<string, string> allLabels, string publishIp, List<string> volumeNames)
    {
        var exposed = new JsonObject();
        var bindings = new JsonObject();
        foreach (var port in ports)
        {
            var key = port.ToString(CultureInfo.InvariantCulture) + "/tcp";
            exposed[key] = new JsonObject();
            // An empty HostPort lets the engine pick a free one: no collisions between parallel runs.
            bindings[key] = new JsonArray(new JsonObject { ["HostIp"] = publishIp, ["HostPort"] = string.Empty });
        }

        var hostConfig = new JsonObject
        {
            ["PortBindings"] = bindings,
            ["Binds"] = Strings(binds),
            ["Tmpfs"] = new JsonObject(tmpfs.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
            ["ReadonlyRootfs"] = readOnlyRootFilesystem,
            ["Mounts"] = new JsonArray(volumeNames.Zip(volumes, (source, target) =>
                (JsonNode?)new JsonObject { ["Type"] = "volume", ["Source"] = source, ["Target"] = target }).ToArray()),
        };
        var spec = new JsonObject
        {
            ["Image"] = image,
            ["Env"] = Strings(environmentVariables.Select(pair => $"{pair.Key}={pair.Value}")),
            ["Labels"] = new JsonObject(allLabels.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
            ["ExposedPorts"] = exposed,
            ["HostConfig"] = hostConfig,
        };
        if (command is not null)
        {
            spec["Cmd"] = Strings(command);
        }

        if (entrypoint is not null)
        {
            spec["Entrypoint"] = Strings(entrypoint);
        }

        if (user is not null)
        {
            spec["User"] = user;
        }

        if (networks.Count > 0)
        {
            var (first, aliases) = networks[0];
            hostConfig["NetworkMode"] = first.Name;
            spec["NetworkingConfig"] = new JsonObject
            {
                ["EndpointsConfig"] = new JsonObject { [first.Name] = new JsonObject { ["Aliases"] = Strings(aliases) } },
            };
        }

        return spec;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(value => (JsonNode?)value).ToArray());
}
