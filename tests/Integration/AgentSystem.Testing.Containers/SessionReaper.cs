using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// The test process's resource reaper (Ryuk, or ours from build/images/reaper), started by this library with its port
/// on 127.0.0.1. Testcontainers starts one of its own for resources labelled with its default session, and publishes
/// it on every interface (its API takes no address): the reaper holds the Docker socket and removes whatever a
/// connection's filters name, from any client that reaches it. So the library's resources carry a session of its own
/// (<see cref="WithSessionCleanUp{TBuilder, TResource, TCreate}"/>), which Testcontainers leaves alone.
/// </summary>
public static class SessionReaper
{
    /// <summary>The port Ryuk's protocol is spoken on inside the container.</summary>
    public const ushort Port = 8080;

    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the reaper waits for a dropped connection to come back (Ryuk's RYUK_RECONNECTION_TIMEOUT default).</summary>
    private static readonly TimeSpan ReconnectWindow = TimeSpan.FromSeconds(10);

    private static readonly Lock Gate = new();
    private static Task? _started;
    private static int _starts;

    // The connection to the reaper: completes when it is lost for good.
    private static Task _held = Task.CompletedTask;

    /// <summary>Not Testcontainers' default session: a resource labelled with that makes it start its own reaper.</summary>
    public static Guid SessionId { get; } = Guid.NewGuid();

    /// <summary>The reaper's container name (Testcontainers names its own <c>testcontainers-ryuk-ID</c>).</summary>
    public static string ContainerName => ContainerNameOf(SessionId);

    internal static string ContainerNameOf(Guid session) => $"agentsystem-reaper-{session:D}";

    /// <summary>TESTCONTAINERS_RYUK_DISABLED turns ours off too: the user has said who cleans up.</summary>
    public static bool Enabled => TestcontainersSettings.ResourceReaperEnabled;

    /// <summary>
    /// Labels a resource with this session, so the reaper removes it once the test process has gone; with
    /// <paramref name="cleanUp"/> false, with no session (kept, as <c>WithCleanUp(false)</c> does). Call it last: a
    /// later <c>WithCleanUp</c> puts Testcontainers' session back, and the container then fails to start
    /// (<see cref="RefuseTestcontainersReaper"/>). The reaper starts with the first container started through
    /// <see cref="ContainerStart"/>: a container started otherwise before that has none.
    /// </summary>
    public static TBuilder WithSessionCleanUp<TBuilder, TResource, TCreate>(this IAbstractBuilder<TBuilder, TResource, TCreate> builder, bool cleanUp = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithLabel(ResourceReaper.ResourceReaperSessionLabel, (Enabled && cleanUp ? SessionId : Guid.Empty).ToString("D"));
    }

    /// <summary>
    /// Testcontainers' reaper about to start, for a container built without <see cref="WithSessionCleanUp"/> (its
    /// default session): refused, so that container's start fails with why rather than publishing a reaper on every
    /// interface. Subscribed to <see cref="ResourceReaper.StateChanged"/> when the library loads.
    /// </summary>
    internal static void RefuseTestcontainersReaper(object? sender, ResourceReaperStateEventArgs change)
    {
        if (change.State == ResourceReaperState.Created)
        {
            throw new InvalidOperationException(
                "A container was built without .WithSessionCleanUp() (AgentSystem.Testing.Containers.SessionReaper), so Testcontainers " +
                "would start its own resource reaper, which it publishes on every interface and which removes whatever a client asks. " +
                "Add .WithSessionCleanUp() last to the builder (after any WithCleanUp or WithReuse), or build on TestPostgres.Builder() or TestRedis.Builder().");
        }
    }

    /// <summary>The filter line Ryuk's protocol takes: this session's resources.</summary>
    internal static string Filter => $"label={ResourceReaper.ResourceReaperSessionLabel}={SessionId:D}\n";

    /// <summary>
    /// Completes once the session has a reaper holding its filter: started at the first call, and again after a reaper
    /// was lost (its container gone), so later containers are not left without one. A failed start is tried again at the
    /// next call rather than failing every later container.
    /// </summary>
    internal static Task EnsureStartedAsync()
    {
        if (!Enabled)
        {
            return Task.CompletedTask;
        }

        lock (Gate)
        {
            if (_started is null || _started.IsFaulted || _started.IsCanceled || (_started.IsCompletedSuccessfully && !IsHeld))
            {
                _started = StartAsync();
            }

            return _started;
        }
    }

    /// <summary>Whether a reaper holds the session's filter now (false before the first and after one was lost).</summary>
    internal static bool IsHeld => !Volatile.Read(ref _held).IsCompleted;

    private static async Task StartAsync()
    {
        var endpoint = TestcontainersSettings.OS.DockerEndpointAuthConfig;
        var image = TestcontainersSettings.ResourceReaperImage?.FullName ?? TestImages.Get("reaper").Reference;
        var starts = Interlocked.Increment(ref _starts);
        var name = starts == 1 ? ContainerName : $"{ContainerName}-{starts}";
        var watch = Stopwatch.StartNew();
        var container = new ContainerBuilder(image)
            .WithDockerEndpoint(endpoint)
            .WithName(name)
            .WithPrivileged(TestcontainersSettings.ResourceReaperPrivilegedModeEnabled)
            .WithAutoRemove(true)
            .WithSessionCleanUp(cleanUp: false)
            .WithPortBinding(Port, assignRandomHostPort: true)
            .WithBindMount(SocketPath(endpoint.Endpoint), "/var/run/docker.sock", AccessMode.ReadOnly)
            .WithCreateParameterModifier(Loopback.Bind)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Started"))
            .WithLogger(NullLogger.Instance)
            .Build();
        // Not disposed once the reaper holds the session: the connection's task keeps its token for the life of the process.
        var abandon = new CancellationTokenSource();
        try
        {
            await container.StartAsync().ConfigureAwait(false);
            var (host, port) = (container.Hostname, container.GetMappedPublicPort(Port));
            var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _held, Task.Run(() => HoldAsync(name, host, port, acknowledged, abandon.Token), CancellationToken.None));
            await acknowledged.Task.WaitAsync(TestcontainersSetup.StartupTimeout).ConfigureAwait(false);
        }
        catch
        {
            // A reaper that holds no session removes nothing: gone, and the next container's start tries again.
            await abandon.CancelAsync().ConfigureAwait(false);
            abandon.Dispose();
            await container.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        ContainerTimings.Record(image, name, watch.Elapsed);
    }

    // The socket as the engine's host sees it: the endpoint's path, or DOCKER_SOCKET_OVERRIDE's (as Testcontainers mounts it).
    private static string SocketPath(Uri endpoint) =>
        TestcontainersSettings.DockerSocketOverride is { Length: > 0 } overridden ? overridden
        : endpoint.Scheme == "unix" ? endpoint.AbsolutePath
        : "/var/run/docker.sock";

    // Connects, sends the filter, and reads until the connection drops (the reaper sends nothing after its ACK). A drop
    // is retried for as long as the reaper waits for us (10 s), then given up, loudly: the port may be another
    // program's by then, and the containers started so far would outlive a killed test process.
    private static async Task HoldAsync(string name, string host, ushort port, TaskCompletionSource acknowledged, CancellationToken abandon)
    {
        try
        {
            var request = Encoding.ASCII.GetBytes(Filter);
            var reply = new byte[64];
            var sinceHeld = Stopwatch.StartNew();
            while (sinceHeld.Elapsed < (acknowledged.Task.IsCompleted ? ReconnectWindow : TestcontainersSetup.StartupTimeout))
            {
                if (await HoldOnceAsync(host, port, request, reply, acknowledged, abandon).ConfigureAwait(false))
                {
                    sinceHeld.Restart();
                }

                await Task.Delay(Retry, abandon).ConfigureAwait(false);
            }

            await LostAsync(name, acknowledged, new TimeoutException($"The resource reaper {name} on {host}:{port} did not acknowledge the session's filter."),
                $"its connection dropped and did not come back within {ReconnectWindow.TotalSeconds:0} s").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            await LostAsync(name, acknowledged, exception, exception.Message).ConfigureAwait(false);
        }
    }

    // Before the first ACK, the start fails with why; after it, the test process says so, as nothing else would.
    private static async Task LostAsync(string name, TaskCompletionSource acknowledged, Exception error, string why)
    {
        if (!acknowledged.TrySetException(error))
        {
            await Console.Error.WriteLineAsync($"The resource reaper {name} is gone ({why}): containers started so far outlive this process " +
                "if it is killed; the next container's start starts another reaper.").ConfigureAwait(false);
        }
    }

    // One connection: true when the reaper acknowledged the filter on it (the connection was held, until now).
    private static async Task<bool> HoldOnceAsync(string host, ushort port, byte[] request, byte[] reply, TaskCompletionSource acknowledged, CancellationToken abandon)
    {
        var held = false;
        try
        {
            using var client = new TcpClient();
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(abandon))
            {
                connecting.CancelAfter(ReconnectWindow);
                await client.ConnectAsync(host, port, connecting.Token).ConfigureAwait(false);
            }

            var stream = client.GetStream();
            await stream.WriteAsync(request, abandon).ConfigureAwait(false);
            var answer = "";
            for (int read; (read = await stream.ReadAsync(reply, abandon).ConfigureAwait(false)) > 0;)
            {
                if (held)
                {
                    continue;
                }

                answer += Encoding.ASCII.GetString(reply, 0, read);
                if (answer.IndexOf('\n', StringComparison.Ordinal) is var end and >= 0)
                {
                    var line = answer[..end].Trim();
                    if (!line.Equals("ACK", StringComparison.OrdinalIgnoreCase))
                    {
                        throw new InvalidOperationException($"The resource reaper answered '{line}' to the session's filter, not ACK.");
                    }

                    held = true;
                    acknowledged.TrySetResult();
                }
            }

            return held;
        }
        catch (Exception exception) when (exception is SocketException or IOException || (exception is OperationCanceledException && !abandon.IsCancellationRequested))
        {
            // Not listening yet, or the connection dropped.
            return held;
        }
    }
}
