using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build;

internal partial class Build
{
    /// <summary>The goal: a source-only change rebuilds an image in at most this share of its cold build time.</summary>
    private const double RebuildGoal = 0.25;

    private Target BenchmarkImage => _ => _
        .Description("Times --service's image built cold (no layer cache) against its rebuild after a one-line source change, in the same run; prints both and the ratio")
        .DependsOn(DockerEngine, BaseImages)
        .Executes(() =>
        {
            var timeable = (Changes.Catalog?.Services ?? []).Where(s => s.Kind == ServiceKind.Dotnet && HasDockerfile(s)).ToList();
            if (Service is not [var name] || Changes.Catalog?.Find(name) is not { } service || !timeable.Contains(service))
            {
                throw new UsageException($"BenchmarkImage needs one .NET service with a Dockerfile: --service <name>, one of {string.Join(", ", timeable.Select(s => s.Name))}.");
            }

            var context = Directory.CreateTempSubdirectory("agentsystem-image-benchmark-").FullName;
            var builder = new ServiceImageBuilder(Docker, context, Path.Combine(ImageLogs, "benchmark"), CancellationToken);
            var tags = new List<string>();
            try
            {
                CopyImageInputs(service, context);
                var load = LoadAverage();
                var cold = BenchmarkBuild(builder, service, "cold", noCache: true, tags);
                var changed = AppendSourceLine(service, context);
                var rebuild = BenchmarkBuild(builder, service, "rebuild", noCache: false, tags);
                var ratio = rebuild.Duration / cold.Duration;
                Log.Info($"{service.Name}: cold {Seconds(cold.Duration)}, rebuild after a line added to {changed} {Seconds(rebuild.Duration)}, " +
                         $"ratio {ratio.ToString("0.00", CultureInfo.InvariantCulture)} (goal at most {RebuildGoal.ToString("0.00", CultureInfo.InvariantCulture)}: {(ratio <= RebuildGoal ? "met" : "NOT met")}); " +
                         $"load average {load} before, {LoadAverage()} after.");
                // A comment changes no IL, so a rebuild that reused layers correctly ships exactly the cold build's files.
                var same = AppFilesDigest(cold.Id) == AppFilesDigest(rebuild.Id);
                Log.Info($"{service.Name}: /app of the rebuild {(same ? "is byte for byte" : "DIFFERS from")} the cold build's; sizes {Megabytes(cold.SizeBytes)} and {Megabytes(rebuild.SizeBytes)}.");
                if (!same)
                {
                    throw new TargetFailedException($"{service.Name}: the incrementally built image differs from the clean one.");
                }
            }
            finally
            {
                if (tags.Count > 0)
                {
                    ProcessRunner.Capture(Docker.Cli, ["rmi", .. tags], cancellationToken: CancellationToken);
                }

                Directory.Delete(context, recursive: true);
            }
        });

    private ImageResult BenchmarkBuild(ServiceImageBuilder builder, ServiceEntry service, string kind, bool noCache, List<string> tags)
    {
        var tag = $"agentsystem-benchmark/{service.Name}:{kind}";
        tags.Add(tag);
        return builder.Build(new ImageRequest($"{service.Name}-{kind}", service.Dockerfile!, [tag], BaseImageBuildArguments(), new Dictionary<string, string>(), noCache));
    }

    /// <summary>Copies what the image is built from (tracked and new files, not ignored ones) with their file times.</summary>
    private void CopyImageInputs(ServiceEntry service, string context)
    {
        var files = GitOutput(["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", .. ImageInputs(service)])
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files.Where(f => File.Exists(Path.Combine(RootDirectory, f))))
        {
            var target = Path.Combine(context, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RootDirectory, file), target);
            File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(Path.Combine(RootDirectory, file)));
        }
    }

    /// <summary>Appends a comment line to the service's Program.cs (else its first C# file); returns that file.</summary>
    private static string AppendSourceLine(ServiceEntry service, string context)
    {
        var folder = Path.Combine(context, PathUtil.DirectoryOf(service.Project));
        var sources = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var file = sources.FirstOrDefault(f => Path.GetFileName(f) == "Program.cs") ?? sources[0];
        File.AppendAllText(file, $"{Environment.NewLine}// image benchmark {DateTimeOffset.UtcNow:O}{Environment.NewLine}");
        return Path.GetRelativePath(context, file);
    }

    /// <summary>A digest of the names and contents of the files under /app in <paramref name="image"/> (not their times).</summary>
    private string AppFilesDigest(string image)
    {
        var container = ProcessRunner.Capture(Docker.Cli, ["create", image], cancellationToken: CancellationToken).Output.Trim();
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Docker.Cli, ["cp", container + ":/app", "-"]) { RedirectStandardOutput = true })!;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var reader = new TarReader(process.StandardOutput.BaseStream);
            var entries = 0;
            while (reader.GetNextEntry() is { } entry)
            {
                entries++;
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(entry.Name + "\0"));
                if (entry.DataStream is { } data)
                {
                    using var copy = new MemoryStream();
                    data.CopyTo(copy);
                    hash.AppendData(copy.ToArray());
                }
            }
            process.WaitForExit();
            if (process.ExitCode != 0 || entries == 0)
            {
                // Two failed copies would hash alike: compare nothing rather than report "byte for byte".
                throw new TargetFailedException($"docker cp of /app from {image} failed (exit code {process.ExitCode}, {entries} entries).");
            }

            return Convert.ToHexString(hash.GetHashAndReset());
        }
        finally
        {
            ProcessRunner.Capture(Docker.Cli, ["rm", container], cancellationToken: CancellationToken);
        }
    }

    private static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.0 's'", CultureInfo.InvariantCulture);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
