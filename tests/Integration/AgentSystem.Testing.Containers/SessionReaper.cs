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
    /// later <c>WithCleanUp</c> puts Testcontainers' session back.
    /// </summary>
    public static TBuilder WithSessionCleanUp<TBuilder, TResource, TCreate>(this IAbstractBuilder<TBuilder, TResource, TCreate> builder, bool cleanUp = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithLabel(ResourceReaper.ResourceReaperSessionLabel, (Enabled && cleanUp ? SessionId : Guid.Empty).ToString("D"));
    }

    /// <summary>
    /// Starts the reaper and hands it the session's filter; the connection then stays open for the life of the process
    /// (reconnected within the reaper's 10 s if it drops). Returns once the reaper has acknowledged the filter.
    /// </summary>
    internal static async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var endpoint = TestcontainersSettings.OS.DockerEndpointAuthConfig;
        var image = TestcontainersSettings.ResourceReaperImage?.FullName ?? TestImages.Get("reaper").Reference;
        var watch = Stopwatch.StartNew();
        var container = new ContainerBuilder(image)
            .WithDockerEndpoint(endpoint)
            .WithName(ContainerName)
            .WithPrivileged(TestcontainersSettings.ResourceReaperPrivilegedModeEnabled)
            .WithAutoRemove(true)
            .WithSessionCleanUp(cleanUp: false)
            .WithPortBinding(Port, assignRandomHostPort: true)
            .WithBindMount(SocketPath(endpoint.Endpoint), "/var/run/docker.sock", AccessMode.ReadOnly)
            .WithCreateParameterModifier(Loopback.Bind)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Started"))
            .WithLogger(NullLogger.Instance)
            .Build();
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
            var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = Task.Run(() => HoldAsync(container.Hostname, container.GetMappedPublicPort(Port), acknowledged), CancellationToken.None);
            await acknowledged.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A reaper that holds no session removes nothing: gone, so that the next container's start tries again.
            await container.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        ContainerTimings.Record(image, ContainerName, watch.Elapsed);
    }

    /// <summary>The filter line Ryuk's protocol takes: this session's resources.</summary>
    internal static string Filter => $"label={ResourceReaper.ResourceReaperSessionLabel}={SessionId:D}\n";

    // The socket as the engine's host sees it: the endpoint's path, or DOCKER_SOCKET_OVERRIDE's (as Testcontainers mounts it).
    private static string SocketPath(Uri endpoint) =>
        TestcontainersSettings.DockerSocketOverride is { Length: > 0 } overridden ? overridden
        : endpoint.Scheme == "unix" ? endpoint.AbsolutePath
        : "/var/run/docker.sock";

    // Connects, sends the filter, and reads until the connection drops (the reaper sends nothing after its ACK). A drop
    // is retried for as long as the reaper waits for us (10 s), then given up: the port may be another program's by then.
    private static async Task HoldAsync(string host, ushort port, TaskCompletionSource acknowledged)
    {
        var request = Encoding.ASCII.GetBytes(Filter);
        var reply = new byte[64];
        var sinceHeld = Stopwatch.StartNew();
        while (sinceHeld.Elapsed < (acknowledged.Task.IsCompleted ? ReconnectWindow : TestcontainersSetup.StartupTimeout))
        {
            var held = false;
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(host, port).ConfigureAwait(false);
                var stream = client.GetStream();
                await stream.WriteAsync(request).ConfigureAwait(false);
                var answer = "";
                for (int read; (read = await stream.ReadAsync(reply).ConfigureAwait(false)) > 0;)
                {
                    answer += Encoding.ASCII.GetString(reply, 0, read);
                    if (!held && answer.IndexOf('\n', StringComparison.Ordinal) is var end and >= 0)
                    {
                        var line = answer[..end].Trim();
                        if (!line.Equals("ACK", StringComparison.OrdinalIgnoreCase))
                        {
                            acknowledged.TrySetException(new InvalidOperationException($"The resource reaper answered '{line}' to the session's filter, not ACK."));
                            return;
                        }

                        held = true;
                        acknowledged.TrySetResult();
                    }
                }
            }
            catch (Exception exception) when (exception is SocketException or IOException)
            {
                // Not listening yet, or the connection dropped.
            }

            if (held)
            {
                sinceHeld.Restart();
            }

            await Task.Delay(Retry).ConfigureAwait(false);
        }

        acknowledged.TrySetException(new TimeoutException($"The resource reaper on {host}:{port} did not acknowledge the session's filter."));
    }
}
