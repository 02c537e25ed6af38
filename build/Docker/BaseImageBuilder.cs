using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Docker;

public enum BaseImageSource { Auto, Registry, Local }

/// <summary>What happened to one base image, for the summary table.</summary>
public sealed record BaseImageOutcome(BaseImage Image, string Reference, string Action, TimeSpan Duration);

/// <summary>
/// Makes the base images available: pulled from a registry, or built locally from Debian's packages. A local image is
/// rebuilt only when its inputs (recipe files, parent image, streamed files' versions) change: their hash is a label.
/// Each build's output goes to a log of its own in <paramref name="logDirectory"/>; the console gets a line per step.
/// </summary>
public sealed class BaseImageBuilder(DockerEngine docker, string imagesDirectory, string workDirectory, string logDirectory, CancellationToken cancellationToken)
{
    private const string InputsLabel = "agentsystem.inputs";
    private const string MissingImage = "missing";
    private const string DebianSuite = "bookworm";
    private static readonly string[] DebootstrapPackages = ["ca-certificates"];

    public List<BaseImageOutcome> Outcomes { get; } = [];

    public IReadOnlyList<BaseImageOutcome> Provide(IReadOnlyList<BaseImage> images, BaseImageSource source, string registryPrefix)
    {
        var useLocal = source == BaseImageSource.Local;
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            Log.Info($"[{i + 1}/{images.Count}] {image.Name}");
            var watch = Stopwatch.StartNew();
            if (!useLocal)
            {
                var official = registryPrefix + image.Official;
                var action = Exists(official) ? "present" : Pull(official) ? "pulled" : null;
                if (action is not null)
                {
                    Outcomes.Add(new(image, official, action, watch.Elapsed));
                    continue;
                }
                if (source == BaseImageSource.Registry)
                {
                    throw new TargetFailedException($"Could not pull {official}. Check the registry, or use --base-images local to build the images from Debian's packages.");
                }

                Log.Warning($"No registry answers for {official}: using local equivalents made from Debian's packages from here on (--base-images auto; built when missing or out of date).");
                useLocal = true;
            }
            Outcomes.Add(new(image, image.Local, BuildLocal(image), watch.Elapsed));
        }
        return Outcomes;
    }

    private string BuildLocal(BaseImage image)
    {
        var inputs = InputsHash(image);
        if (Label(image.Local) == inputs)
        {
            Log.Info($"  {image.Local} is up to date (inputs {inputs[..12]})");
            return "reused";
        }
        Log.Info($"  building {image.Local}...");
        if (image.Recipe == LocalRecipe.Debootstrap)
        {
            Debootstrap(image, inputs);
        }
        else
        {
            DockerBuild(image, inputs);
        }

        return "built";
    }

    /// <summary>A minimal Debian made with debootstrap and imported as an image: the root of every local image.</summary>
    private void Debootstrap(BaseImage image, string inputs)
    {
        // The mirror is plain HTTP: what makes the packages Debian's is the Release file's signature, which debootstrap
        // checks only with a keyring, and without one it warns and goes on (as on Ubuntu). So the keyring is required.
        if (!File.Exists("/usr/sbin/debootstrap") || !File.Exists(DebianKeyring) || !File.Exists("/usr/bin/gpgv"))
        {
            if (!Apt.CanInstall(out var why))
            {
                throw new TargetFailedException("Local base images need debootstrap, Debian's archive keyring and gpgv to check what it downloads:"
                    + $" install them (apt-get install debootstrap debian-archive-keyring gpgv) or use --base-images registry ({why}).");
            }

            Apt.Install(["debootstrap", "debian-archive-keyring", "gpgv"], logDirectory, cancellationToken);
        }
        var rootfs = Path.Combine(workDirectory, "debian-rootfs");
        if (Directory.Exists(rootfs))
        {
            ProcessRunner.Run("rm", ["-rf", rootfs], cancellationToken: cancellationToken);
        }

        var log = LogFor(image);
        LoggedStep.Run($"  debootstrap {DebianSuite}", log, "debootstrap",
            ["--variant=minbase", $"--keyring={DebianKeyring}", "--force-check-gpg", $"--include={string.Join(',', DebootstrapPackages)}", DebianSuite, rootfs, Mirror],
            cancellationToken: cancellationToken);
        File.WriteAllText(Path.Combine(rootfs, "etc/apt/sources.list"),
            $"deb {Mirror} {DebianSuite} main\ndeb {Mirror} {DebianSuite}-updates main\ndeb {SecurityMirror} {DebianSuite}-security main\n");
        // Keep images small and free of this machine's package caches.
        ProcessRunner.Run("sh", ["-c", $"rm -rf {Sh(rootfs)}/var/cache/apt/archives/*.deb {Sh(rootfs)}/var/lib/apt/lists/* {Sh(rootfs)}/usr/share/doc/* {Sh(rootfs)}/usr/share/man/*"],
            cancellationToken: cancellationToken);
        LoggedStep.Run($"  docker import {image.Local}", log, "bash", ["-c",
            $"set -o pipefail; tar -C {Sh(rootfs)} -c . | {Sh(docker.Cli)} import --change 'CMD [\"bash\"]' --change 'LABEL {InputsLabel}={inputs}' - {image.Local}"],
            cancellationToken: cancellationToken);
        ProcessRunner.Run("rm", ["-rf", rootfs], cancellationToken: cancellationToken);
    }

    /// <summary>docker build with a context streamed as one tar: the recipe folder plus the machine's own files.</summary>
    private void DockerBuild(BaseImage image, string inputs)
    {
        var tar = new StringBuilder($"tar -c -h -C {Sh(RecipeFolder(image))} .");
        foreach (var (source, target) in image.Streamed)
        {
            if (!Path.Exists(source))
            {
                throw new TargetFailedException($"{image.Name} needs {source} from this machine, and it is not there.");
            }

            var staged = Path.Combine(workDirectory, "stage", image.Name);
            Directory.CreateDirectory(staged);
            // tar takes a folder and a name inside it; a symlink under our own folder gives the source the name it needs.
            var link = Path.Combine(staged, target);
            if (File.Exists(link) || Directory.Exists(link))
            {
                File.Delete(link);
            }

            File.CreateSymbolicLink(link, source);
            tar.Append($" -C {Sh(staged)} {Sh(target)}");
        }
        var arguments = string.Concat(BuildArguments(image).Select(pair => $" --build-arg {pair.Name}={pair.Reference}"));
        LoggedStep.Run($"  docker build {image.Local}", LogFor(image), "bash", ["-c",
            $"set -o pipefail; {tar} | {Sh(docker.Cli)} build --progress=plain --label {InputsLabel}={inputs}{arguments} -t {image.Local} -"],
            environment: docker.BuildEnvironment, cancellationToken: cancellationToken);
    }

    /// <summary>A path as one shell word: the checkout's folder is the user's to name, quotes included.</summary>
    private static string Sh(string path) => ShellCommand.Word(path);

    private string RecipeFolder(BaseImage image) => Path.Combine(imagesDirectory, image.Name);

    /// <summary>
    /// BASE_IMAGE (the Debian root), plus AGENTSYSTEM_IMAGE_&lt;NAME&gt; for each image provided before this one that the
    /// Dockerfile declares as an ARG (the reaper is compiled on the SDK image and runs on runtime-deps).
    /// </summary>
    private IEnumerable<(string Name, string Reference)> BuildArguments(BaseImage image)
    {
        var dockerfile = File.ReadAllText(Path.Combine(RecipeFolder(image), "Dockerfile"));
        yield return ("BASE_IMAGE", Outcomes.First(o => o.Image.Recipe == LocalRecipe.Debootstrap).Reference);
        foreach (var earlier in Outcomes.Where(o => dockerfile.Contains($"ARG {o.Image.Variable}=", StringComparison.Ordinal)))
        {
            yield return (earlier.Image.Variable, earlier.Reference);
        }
    }

    /// <summary>A fresh log per image and run.</summary>
    private string LogFor(BaseImage image)
    {
        var log = Path.Combine(logDirectory, image.Name + ".log");
        Directory.CreateDirectory(logDirectory);
        if (File.Exists(log))
        {
            File.Delete(log);
        }

        return log;
    }

    /// <summary>Everything that decides the image's content, hashed: recipe files, parent image, streamed files.</summary>
    private string InputsHash(BaseImage image)
    {
        var text = new StringBuilder($"{image.Name}|{image.Recipe}|");
        if (image.Recipe == LocalRecipe.Debootstrap)
        {
            text.Append($"{DebianSuite}|{Mirror}|{string.Join(',', DebootstrapPackages)}|v1");
        }
        else
        {
            foreach (var file in Directory.EnumerateFiles(RecipeFolder(image), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                text.Append(Path.GetRelativePath(imagesDirectory, file)).Append('=').Append(Sha256(File.ReadAllBytes(file))).Append('|');
            }

            var arguments = BuildArguments(image).ToList();
            text.Append("parent=").Append(ImageId(arguments[0].Reference)).Append('|');
            foreach (var (name, reference) in arguments.Skip(1))
            {
                text.Append(name).Append('=').Append(ImageId(reference)).Append('|');
            }

            foreach (var (source, target) in image.Streamed)
            {
                text.Append(target).Append('=').Append(Fingerprint(source)).Append('|');
            }
        }
        return Sha256(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>A file by its content; a folder (an SDK of 600 MB) by its listing of names, sizes and times.</summary>
    private static string Fingerprint(string path)
    {
        if (File.Exists(path))
        {
            return Sha256(File.ReadAllBytes(path));
        }

        var listing = new StringBuilder();
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal))
        {
            listing.Append(file.FullName).Append(file.Length).Append(file.LastWriteTimeUtc.Ticks).Append('|');
        }

        return Sha256(Encoding.UTF8.GetBytes(listing.ToString()));
    }

    private bool Exists(string reference) => ImageId(reference) != MissingImage;

    private string ImageId(string reference)
    {
        var result = ProcessRunner.Capture(docker.Cli, ["image", "inspect", "--format", "{{.Id}}", reference], cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? result.Output.Trim() : MissingImage;
    }

    private string? Label(string reference)
    {
        var result = ProcessRunner.Capture(docker.Cli, ["image", "inspect", "--format", $"{{{{ index .Config.Labels \"{InputsLabel}\" }}}}", reference],
            cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? result.Output.Trim() : null;
    }

    private bool Pull(string reference)
    {
        var result = ProcessRunner.Capture(docker.Cli, ["pull", "-q", reference], cancellationToken: cancellationToken);
        return result.ExitCode == 0;
    }

    private const string DebianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

    private static string Mirror => Environment.GetEnvironmentVariable("DEBIAN_MIRROR") is { Length: > 0 } mirror ? mirror : "http://deb.debian.org/debian";
    private static string SecurityMirror => Environment.GetEnvironmentVariable("DEBIAN_SECURITY_MIRROR") is { Length: > 0 } mirror ? mirror : "http://deb.debian.org/debian-security";

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
