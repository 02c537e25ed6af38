using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

internal partial class Build
{
    private const string DebianChromium = "/usr/bin/chromium";

    /// <summary>Where browser tests find Chromium; they never let a test tool download a browser of its own.</summary>
    private string ChromiumPath => EnvironmentVariable("CHROMIUM_PATH") ?? DebianChromium;

    private Target Chromium => _ => _
        .Description("Makes sure a Chromium for the browser tests is installed (as root on Debian/Ubuntu: apt-get install chromium)")
        .Executes(() =>
        {
            if (File.Exists(ChromiumPath))
            {
                Log.Info($"Chromium: {ChromiumPath}");
                return;
            }
            // A path the user gave is theirs to mend: installing a package would not put a browser there (helper-126).
            if (EnvironmentVariable("CHROMIUM_PATH") is { } given)
            {
                throw new TargetFailedException(
                    $"CHROMIUM_PATH is {given}, and there is no file there. Set it to a Chromium or Chrome executable"
                    + (File.Exists(DebianChromium) ? $" ({DebianChromium} is one), or unset it to use {DebianChromium}." : ", or unset it for Debian's chromium package."),
                    "CHROMIUM_PATH names no file");
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
