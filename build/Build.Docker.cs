using System.Text.Json;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    [Parameter("Where base images come from: registry (pull), local (build from Debian's packages), auto (pull, else local)", Name = "BaseImages")]
    private readonly BaseImageSource BaseImageSource = BaseImageSource.Auto;

    [Parameter("Prefix for official image names, for a registry mirror (e.g. mirror.example.com/)", Values = "prefix")]
    private readonly string RegistryPrefix = "";

    /// <summary>Where long steps (apt-get, debootstrap, base image builds) write their whole output.</summary>
    private string StepLogs => Path.Combine(ArtifactsDirectory, "logs");

    private DockerEngine? _docker;
    private DockerEngine Docker => _docker ?? throw new InvalidOperationException("DockerEngine has not run.");

    /// <summary>What each base image resolved to in this run.</summary>
    private IReadOnlyList<BaseImageOutcome> _baseImages = [];

    /// <summary>AGENTSYSTEM_IMAGE_&lt;NAME&gt; for each base image: how tests and later builds learn which image to use.</summary>
    private Dictionary<string, string> BaseImageEnvironment => _baseImages.ToDictionary(o => o.Image.Variable, o => o.Reference);

    private Target DockerEngine => _ => _
        .Description("Makes sure a Docker engine answers; as root on Debian/Ubuntu installs docker.io and starts dockerd")
        .Executes(() =>
        {
            var engine = new DockerEngine(StepLogs);
            Log.Info(engine.Ensure(CancellationToken));
            Log.Info($"Engine {engine.ServerVersion}; CLI {engine.Cli}; BuildKit {(engine.BuildKit ? "on" : "off")}.");
            _docker = engine;
        });

    private Target BaseImages => _ => _
        .Description("Provides the base images (the infrastructure entries of services/catalog.json): pulled or built locally")
        .DependsOn(DockerEngine)
        .Executes(() =>
        {
            var infrastructure = InfrastructureEntry.ReadAll(File.ReadAllText(Path.Combine(RootDirectory, ServiceCatalog.FileName)));
            var all = BaseImageCatalog.All(infrastructure, HostCaBundle, DotnetRoot, NodeBinary);
            var images = BaseImagesFor(RequestedTargets, all);
            if (images.Count < all.Count)
            {
                Log.Info($"Only {string.Join(", ", images.Select(i => i.Name))}: {string.Join(", ", RequestedTargets)} needs no other.");
            }

            var builder = new BaseImageBuilder(Docker, Path.Combine(RootDirectory, "build", "images"), Path.Combine(RootDirectory, ".nuke", "temp", "images"),
                Path.Combine(StepLogs, "base-images"), CancellationToken);
            _baseImages = builder.Provide(images, BaseImageSource, RegistryPrefix);

            var table = new TextTable("Image", "Uses", "Action", "Time");
            foreach (var outcome in _baseImages)
            {
                table.AddRow(outcome.Image.Name, outcome.Reference, outcome.Action, LoggedStep.Elapsed(outcome.Duration));
            }

            foreach (var line in table.Render())
            {
                Log.Info(line);
            }

            // The file names every base image, for builds by hand (README): a run that provided a few leaves it as it was.
            if (images.Count == all.Count)
            {
                Directory.CreateDirectory(ArtifactsDirectory);
                File.WriteAllText(Path.Combine(ArtifactsDirectory, "base-images.json"), JsonSerializer.Serialize(BaseImageEnvironment, IndentedJson));
            }
        });

    /// <summary>
    /// The base images a run needs: Dev (and DevServers) alone needs only its servers' and the Debian root they are built
    /// on; on a fresh machine the others (the SDK, node, nginx, the reaper...) took a minute or more to build for nothing.
    /// Any other target gets every one.
    /// </summary>
    internal static IReadOnlyList<BaseImage> BaseImagesFor(IReadOnlySet<string> requested, IReadOnlyList<BaseImage> all) =>
        requested.Count > 0 && requested.All(target => target is nameof(Dev) or nameof(DevServers))
            ? [.. all.Where(image => image.Recipe == LocalRecipe.Debootstrap || image.Name is "postgres" or "redis")]
            : all;

    /// <summary>The image a logical base image resolved to in this run ("postgres" -> agentsystem-base/postgres:15, say).</summary>
    private string BaseImageFor(string name) => _baseImages.First(o => o.Image.Name == name).Reference;

    private string HostCaBundle => EnvironmentVariable("SSL_CERT_FILE") is { } file && File.Exists(file)
        ? file
        : "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>The SDK this build runs on: its root is two levels above the runtime's folder.</summary>
    private string DotnetRoot => EnvironmentVariable("DOTNET_ROOT") is { } root && Directory.Exists(root)
        ? root
        : Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static string NodeBinary => Executables.OnPath("node") is [var node, ..] ? node : "/usr/bin/node";
}
