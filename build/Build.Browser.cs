using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    /// <summary>Where browser tests find Chromium; they never let a test tool download a browser of its own.</summary>
    private string ChromiumPath => EnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";

    private Target Chromium => _ => _
        .Description("Makes sure a Chromium for the browser tests is installed (as root on Debian/Ubuntu: apt-get install chromium)")
        .Executes(() =>
        {
            if (File.Exists(ChromiumPath))
            {
                Log.Info($"Chromium: {ChromiumPath}");
                return;
            }
            if (!Apt.CanInstall(out var why))
            {
                throw new TargetFailedException($"No Chromium at {ChromiumPath}. Install Chromium (or Chrome) and set CHROMIUM_PATH to its executable ({why}, so the build cannot).");
            }

            Log.Warning("No Chromium found; installing Debian's chromium package for the browser tests.");
            Apt.Install(["chromium"], StepLogs, CancellationToken);
            if (!File.Exists(ChromiumPath))
            {
                throw new TargetFailedException($"apt-get installed chromium, but {ChromiumPath} is not there.");
            }
        });
}
