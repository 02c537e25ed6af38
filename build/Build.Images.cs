using System.Globalization;
using System.Text.Json;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build;

internal partial class Build
{
    [Parameter("Registry the images are named for and pushed to with --push (e.g. ghcr.io/owner); empty: local names only", Values = "registry")]
    private readonly string Registry = "";

    [Parameter("Push the built images to --registry")]
    private readonly bool Push;

    /// <summary>The size goals: a trimmed .NET service on its small base, and the frontend's files behind nginx.</summary>
    private static readonly Dictionary<ServiceKind, long> ImageSizeGoals = new() { [ServiceKind.Dotnet] = 40_000_000, [ServiceKind.Node] = 30_000_000 };

    /// <summary>The images of this run, by service: what SystemUp runs and images.json lists.</summary>
    private readonly Dictionary<string, ImageResult> _images = new(StringComparer.Ordinal);

    private string ImageLogs => Path.Combine(ArtifactsDirectory, "images");

    /// <summary>Every image this run built or reused (Images' and those SystemUp and the deploys added): what CI saves and pushes.</summary>
    private string ImagesJson => Path.Combine(ArtifactsDirectory, "images.json");

    /// <summary>The targets that build (or reuse) the images they run when Images did not.</summary>
    private const string ImageBuildersBesideImages = "SystemUp, SystemTest and the deploys";

    /// <summary>The affected services that have a Dockerfile.</summary>
    private List<ServiceEntry> AffectedImageServices => Changes.ImageServices(RootDirectory);

    private bool HasDockerfile(ServiceEntry service) => service.HasImage(RootDirectory);

    /// <summary>The services --service names that have an image of their own ('shared' has none).</summary>
    private List<string> NamedWithImages() =>
        [.. (Service ?? []).Where(name => Changes.Catalog?.Find(name) is { } service && HasDockerfile(service))];

    private Target Images => _ => _
        .Description("Builds an image per affected service (multi-stage, cached layers), tags <short commit>[-dirty-<hash>] and dev; writes artifacts/images.json")
        .DependsOn(Affected, DockerEngine, BaseImages)
        // Tests first: they fail sooner and cheaper than an image build.
        .After(UnitTest, IntegrationTest)
        // First the reason --service gives, where "--all builds every one" would not help (helper-95: --service shared --all).
        .OnlyWhenStatic(() => Service is not { Length: > 0 } || NamedWithImages().Count > 0,
            "no service --service names has an image of its own ('shared' is the libraries and tests)")
        .OnlyWhenStatic(() => AffectedImageServices.Count > 0, () => NamedWithImages() is { Count: > 0 } named
            ? $"{string.Join(", ", named)} not affected (--service narrows the selection to {(named.Count == 1 ? "it" : "them")}); --all --service {string.Join(',', named)} builds {(named.Count == 1 ? "its image" : "theirs")} all the same"
            : $"no affected service has an image; --all builds every one ({ImageBuildersBesideImages} build those they run)")
        // An earlier run's list would pass for this run's (and CI's matrix job saves the images it lists).
        .WhenSkipped(RemoveImagesJson)
        .Touches(() => AffectedImageServices.Select(s => s.Name))
        // Checked before any target runs, and even when nothing is affected: the option was given for this target.
        .Reads(() => Push)
        .Validates(() => Push && Registry.Length == 0 ? ["--push needs --registry (e.g. --registry ghcr.io/owner)."] : [])
        .Executes(() =>
        {
            var results = BuildImages(AffectedImageServices);
            PrintImageTable(results);
            if (!Push)
            {
                return;
            }

            var builder = new ServiceImageBuilder(Docker, RootDirectory, ImageLogs, CancellationToken);
            foreach (var image in results)
            {
                builder.Push(image);
            }
        });

    /// <summary>Builds the images of <paramref name="services"/> (one build per core, at most four at once) and records them.</summary>
    private List<ImageResult> BuildImages(IReadOnlyList<ServiceEntry> services)
    {
        if (_images.Count == 0)
        {
            // This run's first build: an earlier run's list would pass for this run's if the build fails.
            File.Delete(ImagesJson);
        }

        foreach (var service in CopyingThisMachinesNode(services, _baseImages))
        {
            CheckNode(Path.Combine(RootDirectory, PathUtil.DirectoryOf(service.Project)));
        }

        var commit = ShortCommit();
        var requests = services.Select(s => ImageRequestFor(s, commit)).ToList();
        var parallelism = Math.Clamp(Environment.ProcessorCount, 1, 4);
        var tags = requests.GroupBy(r => r.Tags[0][(r.Tags[0].LastIndexOf(':') + 1)..], r => r.Service)
            .Select(tag => $"{tag.Key} ({string.Join(", ", tag)})");
        // :dev is the engine's, so every clone on the machine shares it (helper-106: the console did not say it moved).
        Log.Info($"{requests.Count} image(s), tagged {string.Join("; ", tags)} and :dev (this engine's, every clone's), "
            + $"{Math.Min(parallelism, requests.Count)} at a time; each build's output in {LoggedStep.DisplayPath(ImageLogs)}/<service>.log.");
        var results = new ServiceImageBuilder(Docker, RootDirectory, ImageLogs, CancellationToken).BuildAll(requests, parallelism);
        foreach (var result in results)
        {
            _images[result.Service] = result;
        }
        File.WriteAllText(ImagesJson, JsonSerializer.Serialize(_images.Values.OrderBy(i => i.Service, StringComparer.Ordinal), IndentedJson) + "\n");

        return [.. results];
    }

    /// <summary>
    /// The node services whose image build runs this machine's node: the node base image was made here (no registry
    /// answered) from the node on PATH. One too old for a package would fail inside that image's build, after minutes.
    /// </summary>
    internal static IEnumerable<ServiceEntry> CopyingThisMachinesNode(IEnumerable<ServiceEntry> services, IEnumerable<BaseImageOutcome> baseImages) =>
        baseImages.Any(o => o.Image.Name == "node" && o.Reference == o.Image.Local) ? services.Where(s => s.Kind == ServiceKind.Node) : [];

    private void RemoveImagesJson()
    {
        if (File.Exists(ImagesJson))
        {
            File.Delete(ImagesJson);
            // Not "this run built no image": SystemUp, SystemTest and the deploys build or reuse theirs after it (helper-113).
            Log.Info($"Images is skipped: {LoggedStep.DisplayPath(ImagesJson)}, an earlier run's, is removed; it lists only the images this run builds or reuses ({ImageBuildersBesideImages} write theirs).");
        }
    }

    private void PrintImageTable(IReadOnlyList<ImageResult> results)
    {
        var table = new TextTable("Service", "Image", "Id", "Size", "Goal", "Built", "Time");
        foreach (var image in results)
        {
            var goal = ImageSizeGoals[Changes.Catalog!.Find(image.Service)!.Kind];
            table.AddRow(image.Service, image.Image, image.Id[7..19], Megabytes(image.SizeBytes),
                $"{Megabytes(goal)} {(image.SizeBytes <= goal ? "ok" : "OVER")}", image.Built ? "yes" : "reused", LoggedStep.Elapsed(image.Duration));
        }
        foreach (var line in table.Render())
        {
            Log.Info(line);
        }

        foreach (var image in results.Where(i => i.SizeBytes > ImageSizeGoals[Changes.Catalog!.Find(i.Service)!.Kind]))
        {
            Log.Warning($"{image.Service}: {Megabytes(image.SizeBytes)} is over its size goal.");
        }
    }

    private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.0} MB");

    /// <summary>What an image's tag starts with, and PruneImages keeps: the checkout's commit, 12 hex digits.</summary>
    private string ShortCommit() => GitOutput("rev-parse", "--short=12", "HEAD");

    /// <summary>REGISTRY/IMAGE:TAG; image references are lower case, and a GitHub owner may not be.</summary>
    private string ImageName(ServiceEntry service, string tag) =>
        $"{(Registry.Length > 0 ? Registry.TrimEnd('/').ToLowerInvariant() + "/" : "")}{service.Image ?? "agentsystem/" + service.Name}:{tag}";

    /// <summary>
    /// The service's build, tagged with the commit, or with "-dirty-" and a hash of its inputs' uncommitted changes: a bare
    /// "-dirty" was every clone's tag at that commit (helper-99: another clone's build moved it within a minute) and every
    /// service's when any file had changes.
    /// </summary>
    internal ImageRequest ImageRequestFor(ServiceEntry service, string commit)
    {
        var inputs = ImageInputs(service);
        var dirty = ChangedPaths(GitOutput([.. ChangedPathsCommand, .. inputs]));
        var changes = dirty.Count == 0 ? null : $"dirty-{ChangesHash(RootDirectory, dirty)}";
        var tag = changes is null ? commit : $"{commit}-{changes}";
        return new ImageRequest(service.Name, service.Dockerfile!, [ImageName(service, tag), ImageName(service, "dev")], BaseImageBuildArguments(),
            ImageLabels(service, inputs, changes));
    }

    /// <summary>
    /// git status of the paths that follow: names unquoted and NUL-separated, every untracked file (not its folder, so no
    /// ignored bin/ or obj/, whatever a user's status.showUntrackedFiles says), a rename as a deletion and an addition.
    /// </summary>
    internal static readonly string[] ChangedPathsCommand =
        ["-c", "core.quotePath=false", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--"];

    /// <summary>The paths of <see cref="ChangedPathsCommand"/>'s output ("XY path" records).</summary>
    internal static List<string> ChangedPaths(string status) =>
        [.. status.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(record => record.Length > 3).Select(record => record[3..]).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// Eight hex digits of a SHA-256 over each changed file's path (relative to <paramref name="root"/>) and its content
    /// as it is now, or that it is gone: the same changes give the same tag in any checkout.
    /// </summary>
    internal static string ChangesHash(string root, IEnumerable<string> paths)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var path in paths.Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path + "\0"));
            var full = Path.Combine(root, path);
            // A kind byte first, so a file holding "deleted" is not a deleted file.
            hash.AppendData(File.Exists(full) ? [(byte)'F', .. File.ReadAllBytes(full)] : "D"u8);
            hash.AppendData("\0"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..8];
    }

    /// <summary>SDK_IMAGE, RUNTIME_DEPS_IMAGE, ...: each base image BaseImages provided, named as the Dockerfiles' ARGs.</summary>
    private Dictionary<string, string> BaseImageBuildArguments() => _baseImages.ToDictionary(
        o => o.Image.Name.ToUpperInvariant().Replace('-', '_') + "_IMAGE", o => o.Reference, StringComparer.Ordinal);

    /// <summary>
    /// OCI labels that change only when the image's inputs do, so an unchanged service keeps its image id: the revision
    /// and date of the last commit touching its inputs, the revision followed by <paramref name="changes"/> (dirty-HASH)
    /// when they have uncommitted ones. Not a file's time: two clones with the same changes built two ids under one tag,
    /// and each build moved it to its own (helper-102).
    /// </summary>
    private Dictionary<string, string> ImageLabels(ServiceEntry service, List<string> inputs, string? changes)
    {
        var last = GitOutput(["log", "-1", "--format=%H %cI", "--", .. inputs]).Split(' ');
        var (revision, created) = last.Length == 2 ? (last[0], last[1]) : (GitOutput("rev-parse", "HEAD"), DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture));
        var labels = new Dictionary<string, string>
        {
            ["org.opencontainers.image.title"] = service.Name,
            ["org.opencontainers.image.revision"] = changes is null ? revision : $"{revision}-{changes}",
            ["org.opencontainers.image.created"] = created,
        };
        if (SourceUrl() is { } source)
        {
            labels["org.opencontainers.image.source"] = source;
        }

        return labels;
    }

    /// <summary>What a service's image is built from: its Dockerfile, what that copies from the context, and .dockerignore.</summary>
    private List<string> ImageInputs(ServiceEntry service)
    {
        var dockerfile = File.ReadAllText(Path.Combine(RootDirectory, service.Dockerfile!));
        return DockerfileCopies.Sources(dockerfile).Select(s => s.TrimEnd('/')).Where(s => s is not "." and not "")
            .Prepend(".dockerignore").Prepend(service.Dockerfile!).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The repository's web address: GitHub Actions says it; else the origin remote's, if it has one.</summary>
    private string? SourceUrl()
    {
        if (EnvironmentVariable("GITHUB_REPOSITORY") is { } repository)
        {
            return $"{EnvironmentVariable("GITHUB_SERVER_URL") ?? "https://github.com"}/{repository}";
        }

        var origin = ProcessRunner.Capture("git", ["remote", "get-url", "origin"], RootDirectory, cancellationToken: CancellationToken);
        return origin.ExitCode == 0 ? ImageSource.WebAddress(origin.Output) : null;
    }

    private string GitOutput(params string[] arguments)
    {
        var result = ProcessRunner.Capture("git", arguments, RootDirectory, cancellationToken: CancellationToken);
        if (result.ExitCode != 0)
        {
            throw new TargetFailedException($"git {string.Join(' ', arguments)} failed: {result.Error.Trim()}");
        }

        return result.Output.TrimEnd();
    }
}
