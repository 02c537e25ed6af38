using AgentSystem.Build.Engine;

namespace AgentSystem.Build;

partial class Build
{
    /// <summary>Where browser tests find Chromium; they never let a test tool download a browser of its own.</summary>
    static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    Target Chromium => _ => _
        .Description("Makes sure a Chromium for the browser tests is installed (as root on Debian/Ubuntu: apt-get install chromium)")
        .Executes(() =>
        {
            if (File.Exists(ChromiumPath))
            {
                Log.Info($"Chromium: {ChromiumPath}");
                return;
            }
            if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
                throw new TargetFailedException($"No Chromium at {ChromiumPath}. Install Chromium (or Chrome) and set CHROMIUM_PATH to its executable.");
            Log.Warning("No Chromium found; installing Debian's chromium package for the browser tests.");
            var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            ProcessRunner.Run("apt-get", ["update", "-qq"], environment: environment, cancellationToken: CancellationToken);
            ProcessRunner.Run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], environment: environment, cancellationToken: CancellationToken);
            if (!File.Exists(ChromiumPath)) throw new TargetFailedException($"apt-get installed chromium, but {ChromiumPath} is not there.");
        });
}
