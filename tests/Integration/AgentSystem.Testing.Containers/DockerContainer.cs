using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentSystem.Testing.Containers;

/// <summary>A started container. Disposing it force-removes it with its volumes.</summary>
public sealed class DockerContainer : IAsyncDisposable
{
    private readonly DockerEnvironment environment;
    private readonly IReadOnlyList<string> ownedVolumes;
    private Dictionary<int, int> mappedPorts = [];
    private int disposed;

    internal DockerContainer(DockerEnvironment environment, string id, string name, string image, string? logicalName, IReadOnlyList<string> ownedVolumes)
    {
        this.environment = environment;
        this.ownedVolumes = ownedVolumes;
        Id = id;
        Name = name;
        Image = image;
        LogicalName = logicalName;
    }

    public string Id { get; }

    public string Name { get; }

    /// <summary>The image the container runs (after resolution: an override, a mirror, or the local equivalent).</summary>
    public string Image { get; }

    /// <summary>The logical image ("postgres") it was started for, if any.</summary>
    public string? LogicalName { get; }

    /// <summary>Where published ports are reached: 127.0.0.1 for a local engine.</summary>
    public string Host => environment.Host;

    /// <summary>Container port (tcp) to the random host port it is published on.</summary>
    public IReadOnlyDictionary<int, int> MappedPorts => mappedPorts;

    /// <summary>The named volumes made for it (WithVolume), removed with it.</summary>
    public IReadOnlyList<string> Volumes => ownedVolumes;

    /// <summary>Create-to-ready time; null until the container is ready.</summary>
    public ContainerTiming? Timing { get; internal set; }

    internal DockerEnvironment Environment => environment;

    public int GetMappedPort(int containerPort) =>
        mappedPorts.TryGetValue(containerPort, out var hostPort)
            ? hostPort
            : throw new InvalidOperationException(
                $"Port {containerPort.ToString(CultureInfo.InvariantCulture)}/tcp of {Name} is not published: add WithPortBinding({containerPort.ToString(CultureInfo.InvariantCulture)}) to its builder.");

    /// <summary>The container's stdout and stderr; <paramref name="tail"/> limits it to the last lines.</summary>
    public Task<ContainerOutput> GetLogsAsync(int? tail = null, CancellationToken cancellationToken = default) =>
        environment.Client.GetLogsAsync(Id, tail, cancellationToken);

    public Task<ExecResult> ExecAsync(params string[] command) => ExecAsync(command, CancellationToken.None);

    /// <summary>Runs a command inside the container and waits for its exit code and output.</summary>
    public Task<ExecResult> ExecAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("An exec needs a command.", nameof(command));
        }

        return environment.Client.ExecAsync(Id, command, cancellationToken);
    }

    public async Task<ContainerState> GetStateAsync(CancellationToken cancellationToken = default) =>
        ContainerState.FromInspect(await environment.Client.TryInspectContainerAsync(Id, cancellationToken).ConfigureAwait(false));

    /// <summary>Stops the container (SIGTERM, then SIGKILL after the timeout); it stays until disposed, with its logs.</summary>
    public Task StopAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        environment.Client.StopContainerAsync(Id, timeout ?? ContainerDefaults.StopTimeout, cancellationToken);

    /// <summary>
    /// Freezes the container's processes (docker pause): connections stay open and new ones are accepted by the kernel,
    /// but nothing answers until <see cref="UnpauseAsync"/>, as with a server that hangs or a network that drops packets.
    /// </summary>
    public Task PauseAsync(CancellationToken cancellationToken = default) =>
        environment.Client.PauseContainerAsync(Id, cancellationToken);

    /// <summary>Resumes a container paused by <see cref="PauseAsync"/>.</summary>
    public Task UnpauseAsync(CancellationToken cancellationToken = default) =>
        environment.Client.UnpauseContainerAsync(Id, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await environment.Client.RemoveContainerAsync(Id, CancellationToken.None).ConfigureAwait(false);
        foreach (var volume in ownedVolumes)
        {
            await environment.Client.RemoveVolumeAsync(volume, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the host ports the engine chose; they exist once the container has started.</summary>
    internal async Task RefreshPortsAsync(CancellationToken cancellationToken)
    {
        var inspect = await environment.Client.InspectContainerAsync(Id, cancellationToken).ConfigureAwait(false);
        var ports = new Dictionary<int, int>();
        if (inspect["NetworkSettings"]?["Ports"] is JsonObject published)
        {
            foreach (var (key, bindings) in published)
            {
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                if (key.EndsWith("/tcp", StringComparison.Ordinal)
                    && int.TryParse(key.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var containerPort)
                    && bindings is JsonArray { Count: > 0 } list
                    && int.TryParse(list[0]?["HostPort"]?.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var hostPort))
                {
                    ports[containerPort] = hostPort;
                }
            }
        }

        mappedPorts = ports;
    }

    public override string ToString() => $"{Name} ({Image})";
}
