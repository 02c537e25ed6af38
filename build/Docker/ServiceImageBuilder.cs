using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Docker;

/// <summary>
/// What to build for one service: its Dockerfile (relative to the root, the build context) and how to name it;
/// <paramref name="NoCache"/> builds every step anew (a cold build, as the image benchmark times it).
/// </summary>
public sealed record ImageRequest(
    string Service,
    string Dockerfile,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> BuildArguments,
    IReadOnlyDictionary<string, string> Labels,
    bool NoCache = false);

/// <summary>One line of artifacts/images.json: <c>built</c> is false when the image id existed before (every layer reused).</summary>
public sealed record ImageResult(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("sizeBytes")] long SizeBytes,
    [property: JsonPropertyName("built")] bool Built)
{
    [JsonIgnore] public TimeSpan Duration { get; init; }
    [JsonIgnore] public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>
/// Builds service images with BuildKit from the repository root: one console line per image when it is done (built or up
/// to date, its time, how many steps were cached), a heartbeat while a step runs long, the whole output in a log per
/// image, and on failure the failing step with its last output lines. Several builds run at once, so a line per step
/// would interleave them; the log has every step in order.
/// </summary>
public sealed partial class ServiceImageBuilder(DockerEngine docker, string rootDirectory, string logDirectory, CancellationToken cancellationToken)
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);
    private const int FailureLines = 25;

    /// <summary>Builds every request, <paramref name="parallelism"/> at a time; throws after all finished if any failed.</summary>
    public IReadOnlyList<ImageResult> BuildAll(IReadOnlyList<ImageRequest> requests, int parallelism)
    {
        var results = new ImageResult?[requests.Count];
        var failures = new List<string>();
        Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, i =>
        {
            try
            {
                results[i] = Build(requests[i]);
            }
            catch (TargetFailedException e)
            {
                Log.Error(e.Message);
                lock (failures)
                {
                    failures.Add(requests[i].Service);
                }
            }
        });
        if (failures.Count > 0)
        {
            throw new TargetFailedException($"{failures.Count} image(s) failed: {string.Join(", ", failures)} (each failure is above; full logs in {LoggedStep.DisplayPath(logDirectory)}).");
        }

        return results.Select(r => r!).ToList();
    }

    public ImageResult Build(ImageRequest request)
    {
        var log = Path.Combine(logDirectory, request.Service + ".log");
        var idFile = Path.Combine(logDirectory, request.Service + ".iid");
        Directory.CreateDirectory(logDirectory);
        File.Delete(log);
        File.Delete(idFile);
        var before = ImageIds();

        var arguments = new List<string> { "build", "--progress=plain", "-f", request.Dockerfile, "--iidfile", idFile };
        if (request.NoCache)
        {
            arguments.Add("--no-cache");
        }

        foreach (var tag in request.Tags)
        {
            arguments.AddRange(["-t", tag]);
        }

        foreach (var (name, value) in DeclaredArguments(request))
        {
            arguments.AddRange(["--build-arg", $"{name}={value}"]);
        }

        foreach (var (name, value) in request.Labels)
        {
            arguments.AddRange(["--label", $"{name}={value}"]);
        }

        arguments.Add(".");

        var prefix = request.Service.PadRight(12);
        var watch = Stopwatch.StartNew();
        var progress = new BuildKitProgress();
        using var heartbeat = new Timer(_ =>
        {
            if (progress.Running is { } running)
            {
                Log.Info($"{prefix} {LoggedStep.Shorten(running.DisplayName, 80)}  running, {LoggedStep.Elapsed(watch.Elapsed)} in all");
            }
        }, null, Heartbeat, Heartbeat);
        var exitCode = ProcessRunner.RunToLog(docker.Cli, arguments, log, progress.Read, rootDirectory, docker.BuildEnvironment, cancellationToken);
        if (exitCode != 0)
        {
            throw new TargetFailedException(FailureMessage(request.Service, progress, log, exitCode));
        }

        var id = File.ReadAllText(idFile).Trim();
        var size = long.Parse(Inspect(id, "{{.Size}}"), CultureInfo.InvariantCulture);
        var built = !before.Contains(id);
        Log.Info($"{prefix} {Outcome(built, watch.Elapsed, id, size, progress.Steps)}");
        return new ImageResult(request.Service, request.Tags[0], id, size, built) { Duration = watch.Elapsed, Tags = request.Tags };
    }

    public void Push(ImageResult image)
    {
        foreach (var tag in image.Tags)
        {
            LoggedStep.Run($"{image.Service}: docker push {tag}", Path.Combine(logDirectory, image.Service + "-push.log"), docker.Cli, ["push", tag],
                rootDirectory, docker.BuildEnvironment, cancellationToken);
        }
    }

    /// <summary>"up to date in 2.1s: 1a2b3c4d5e6f, 38.2 MB, 14/14 steps cached"; a build that ran steps names its slowest.</summary>
    public static string Outcome(bool built, TimeSpan elapsed, string id, long size, IEnumerable<BuildStep> steps)
    {
        // A FROM is never "CACHED" (BuildKit resolves the base image each time): counted, an image reused whole read 16/19.
        var dockerfileSteps = steps.Where(s => s.IsDockerfileStep && !s.IsFrom).ToList();
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{(built ? "built" : "up to date")} in {LoggedStep.Elapsed(elapsed)}: {id[7..19]}, {size / 1e6:0.0} MB, {dockerfileSteps.Count(s => s.Cached)}/{dockerfileSteps.Count} steps cached");
        // A step that took no time to speak of (FROM an image that is there) says nothing about where the time went.
        var slowest = dockerfileSteps.Where(s => s.Duration >= TimeSpan.FromSeconds(0.05)).MaxBy(s => s.Duration);
        return slowest is null || !built ? line : line + string.Create(CultureInfo.InvariantCulture,
            $"; slowest {LoggedStep.Shorten(slowest.DisplayName, 60)} {slowest.Duration!.Value.TotalSeconds:0.0}s");
    }

    /// <summary>The failing step, BuildKit's error, the step's last output lines and where the whole log is.</summary>
    private static string FailureMessage(string service, BuildKitProgress progress, string log, int exitCode)
    {
        if (progress.Failed is not { } step)
        {
            return $"{service}: docker build exited with code {exitCode}. {LoggedStep.Tail(log, FailureLines)}";
        }

        var lines = step.Output.TakeLast(FailureLines).Select(l => "  " + l);
        return $"{service}: {step.DisplayName} failed: {step.Error}{Environment.NewLine}" +
               $"Its last {Math.Min(FailureLines, step.Output.Count)} lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}" +
               $"Full log: {LoggedStep.DisplayPath(log)}";
    }

    /// <summary>Only the build arguments the Dockerfile declares, so the engine does not warn about the others.</summary>
    private IEnumerable<KeyValuePair<string, string>> DeclaredArguments(ImageRequest request)
    {
        var declared = DeclaredArgumentNames(File.ReadAllText(Path.Combine(rootDirectory, request.Dockerfile)));
        return request.BuildArguments.Where(a => declared.Contains(a.Key));
    }

    public static HashSet<string> DeclaredArgumentNames(string dockerfile) =>
        ArgLine().Matches(dockerfile).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    // Every image the engine holds, untagged ones too: one whose tags moved to a newer build (another clone's, say) and
    // that this build made again is no new image (helper-63 saw "built" for an image an hour old).
    private HashSet<string> ImageIds()
    {
        var result = ProcessRunner.Capture(docker.Cli, ["images", "--all", "--no-trunc", "--quiet"], cancellationToken: cancellationToken);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    private string Inspect(string image, string format)
    {
        var result = ProcessRunner.Capture(docker.Cli, ["image", "inspect", "--format", format, image], cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new TargetFailedException($"docker image inspect {image} failed: {result.Error.Trim()}");
        }

        return result.Output.Trim();
    }

    [GeneratedRegex(@"^\s*ARG\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)", RegexOptions.Multiline)]
    private static partial Regex ArgLine();
}
