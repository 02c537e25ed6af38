using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Docker.DotNet;
using DotNet.Testcontainers.Containers;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Testcontainers reads its settings from the environment (then ~/.testcontainers.properties) once, when it is first
/// used. Before that, when this library loads, this sets what the machine needs in the test process itself, so that
/// `dotnet test` from an IDE runs as `./build.sh Test` does and nothing is written to the user's home folder. A variable
/// the user (or the build) has set wins.
/// </summary>
public static class TestcontainersSetup
{
    public const string ApiVersion = "DOCKER_API_VERSION";
    public const string HostOverride = "TESTCONTAINERS_HOST_OVERRIDE";
    public const string ReaperImage = "TESTCONTAINERS_RYUK_CONTAINER_IMAGE";
    public const string ReaperPrivileged = "TESTCONTAINERS_RYUK_CONTAINER_PRIVILEGED";
    public const string WaitInterval = "TESTCONTAINERS_WAIT_STRATEGY_INTERVAL";
    public const string WaitTimeout = "TESTCONTAINERS_WAIT_STRATEGY_TIMEOUT";

    /// <summary>
    /// Between two readiness checks (Testcontainers' default is 1 s). A check is a container inspect and one connection
    /// to the published port (<see cref="PostgresPing"/>, <see cref="RedisPing"/>), cheap enough to repeat this often.
    /// </summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Bound of a start's waits (Testcontainers' default is an hour): a hung start fails the run, not stalls it.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What this setup put into the environment, for diagnostics and its tests.</summary>
    public static IReadOnlyDictionary<string, string> Applied { get; private set; } = new Dictionary<string, string>();

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Testcontainers reads the environment once: this must run before any test touches it.")]
    internal static void Initialize()
    {
        var applied = new Dictionary<string, string>();
        void Set(string name, string value)
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                Environment.SetEnvironmentVariable(name, value);
                applied[name] = value;
            }
        }

        Set(WaitInterval, PollInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        Set(WaitTimeout, StartupTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        var engine = EngineFacts.Read();
        if (engine is not null)
        {
            // Testcontainers asks for API 1.44 unless told; Debian's engine 20.10 speaks 1.41 at most.
            Set(ApiVersion, engine.ApiVersion);
            // In a container (/.dockerenv) Testcontainers connects to the bridge gateway; with the engine on this very
            // machine (it has our host name) its published ports are on loopback, the only address allowed here.
            if (engine.IsLocal && File.Exists("/.dockerenv"))
            {
                Set(HostOverride, "127.0.0.1");
            }
        }

        TestImages.Resolve(engine);
        if (TestImages.Reaper is { } reaper)
        {
            Set(ReaperImage, reaper.Reference);
            if (reaper.IsLocal)
            {
                // Privileged containers cannot start on these machines, and our reaper needs nothing but the socket.
                Set(ReaperPrivileged, "false");
            }
        }

        Applied = applied;
        ResourceReaper.StateChanged += SessionReaper.RefuseTestcontainersReaper;
    }

    /// <summary>What the engine says about itself, through Docker.DotNet without an API version (the engine's own).</summary>
    internal sealed record EngineFacts(string ApiVersion, bool IsLocal, HashSet<string> PresentImages)
    {
        public static Uri Endpoint => new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

        /// <summary>
        /// Synchronous on purpose: this runs inside the module initializer, and any code of this library run on another
        /// thread (an await's continuation) would wait for the initializer to finish, which would be waiting for it.
        /// </summary>
        public static EngineFacts? Read()
        {
            var context = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(null);
            try
            {
                using var client = new DockerClientBuilder().WithEndpoint(Endpoint).WithTimeout(TimeSpan.FromSeconds(10)).Build();
                var version = client.System.GetVersionAsync().GetAwaiter().GetResult();
                var info = client.System.GetSystemInfoAsync().GetAwaiter().GetResult();
                var present = TestImages.Candidates.Where(reference => Exists(client, reference)).ToHashSet(StringComparer.Ordinal);
                var local = Endpoint.Scheme == "unix" && string.Equals(info.Name, Environment.MachineName, StringComparison.OrdinalIgnoreCase);
                return new EngineFacts(version.APIVersion, local, present);
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or TimeoutException or DockerApiException
                or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                // No engine answers: Testcontainers says so, with its own advice, at the first container.
                return null;
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }
        }

        private static bool Exists(DockerClient client, string reference)
        {
            try
            {
                client.Images.InspectImageAsync(reference).GetAwaiter().GetResult();
                return true;
            }
            catch (DockerImageNotFoundException)
            {
                return false;
            }
        }
    }
}
