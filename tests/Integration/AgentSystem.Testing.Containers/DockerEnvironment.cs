using AgentSystem.Testing.Containers.Engine;
using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Sessions;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// The engine as this process sees it, made on first use: connect (or one <see cref="DockerUnavailableException"/>),
/// sweep what dead test processes left, and remove this session's own resources at process exit.
/// </summary>
public sealed class DockerEnvironment
{
    /// <summary>Bound of the clean-up at exit: a test host that is shutting down should not hang on a stuck engine.</summary>
    public static readonly TimeSpan ExitCleanupTimeout = TimeSpan.FromSeconds(15);

    private static readonly Lazy<Task<DockerEnvironment>> Shared =
        new(() => CreateAsync(DockerEndpoint.FromEnvironment()), LazyThreadSafetyMode.ExecutionAndPublication);

    private DockerEnvironment(DockerClient client, TestSession session, SweepResult sweep)
    {
        Client = client;
        Session = session;
        Sweep = sweep;
        Images = new ImageProvider(client);
    }

    public DockerClient Client { get; }

    public TestSession Session { get; }

    public ImageProvider Images { get; }

    /// <summary>What the first-use sweep removed.</summary>
    public SweepResult Sweep { get; }

    /// <summary>Where published ports are reached.</summary>
    public string Host => Client.Endpoint.PublishedPortHost;

    /// <summary>The address ports are published on: loopback when the engine is local.</summary>
    internal string PublishIp => Client.Endpoint.IsLoopback ? ContainerDefaults.LoopbackHost : string.Empty;

    /// <summary>
    /// The process-wide environment for DOCKER_HOST (default unix:///var/run/docker.sock). A failure is kept, so every
    /// later use fails at once with the same message instead of timing out again.
    /// </summary>
    public static Task<DockerEnvironment> GetAsync(CancellationToken cancellationToken = default) =>
        Shared.Value.WaitAsync(cancellationToken);

    /// <summary>
    /// Removes everything this session still owns (shared containers included), if Docker was used at all. Test
    /// frameworks call it when the run ends: `dotnet test` kills its test host about 100 ms after the last test,
    /// too soon for the exit handler to finish.
    /// </summary>
    public static async Task<SweepResult> CleanUpSessionAsync(CancellationToken cancellationToken = default)
    {
        if (!Shared.IsValueCreated || !Shared.Value.IsCompletedSuccessfully)
        {
            return SweepResult.None;
        }

        var environment = Shared.Value.Result;
        return await SessionSweeper.RemoveSessionAsync(environment.Client, environment.Session.Id, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<DockerEnvironment> CreateAsync(DockerEndpoint endpoint)
    {
        var client = await DockerClient.ConnectAsync(endpoint).ConfigureAwait(false);
        var session = TestSession.Current;
        SweepResult sweep;
        try
        {
            sweep = await SessionSweeper.SweepAsync(client, session).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            ContainerLog.Info($"the sweep of abandoned test sessions failed: {ex.Message}");
            sweep = SweepResult.None;
        }

        if (sweep.Total > 0)
        {
            ContainerLog.Info(sweep.ToString());
        }

        var environment = new DockerEnvironment(client, session, sweep);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => environment.CleanUpAtExit();
        return environment;
    }

    /// <summary>
    /// Removes what this session still owns when the process ends normally (a console program, a runner that waits).
    /// What survives (a killed process, a test host torn down early) the next session sweeps.
    /// </summary>
    private void CleanUpAtExit()
    {
        try
        {
            using var timeout = new CancellationTokenSource(ExitCleanupTimeout);
            SessionSweeper.RemoveSessionAsync(Client, Session.Id, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            ContainerLog.Info($"clean-up at exit failed ({ex.Message}); the next test run sweeps what is left");
        }
    }
}
