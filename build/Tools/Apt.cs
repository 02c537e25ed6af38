using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tools;

/// <summary>Installs Debian packages the build needs (docker.io, debootstrap, docker-compose, chromium), quietly: one line per step, the whole output in a log.</summary>
public static class Apt
{
    /// <summary>Root on Debian or Ubuntu with apt-get: the build may install what it needs itself.</summary>
    public static bool CanInstall(out string why)
    {
        if (!OperatingSystem.IsLinux()) { why = "this is not Linux"; return false; }
        if (Environment.UserName != "root") { why = "not running as root"; return false; }
        if (!File.Exists("/usr/bin/apt-get")) { why = "no apt-get here"; return false; }
        var osRelease = File.Exists("/etc/os-release") ? File.ReadAllText("/etc/os-release") : "";
        if (!osRelease.Contains("ID=debian", StringComparison.Ordinal) && !osRelease.Contains("ID=ubuntu", StringComparison.Ordinal) &&
            !osRelease.Contains("ID_LIKE=debian", StringComparison.Ordinal))
        {
            why = "not Debian or Ubuntu";
            return false;
        }
        why = "";
        return true;
    }

    /// <summary>apt-get update, then install <paramref name="packages"/> without recommends; the log is logs/apt-FIRST.log.</summary>
    public static void Install(IReadOnlyList<string> packages, string logDirectory, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        var log = Path.Combine(logDirectory, $"apt-{packages[0]}.log");
        if (File.Exists(log))
        {
            File.Delete(log);
        }

        LoggedStep.Run("apt-get update", log, "apt-get", ["update"], environment: environment, cancellationToken: cancellationToken);
        LoggedStep.Run($"apt-get install {string.Join(' ', packages)}", log, "apt-get", ["install", "-y", "--no-install-recommends", .. packages],
            environment: environment, cancellationToken: cancellationToken);
    }
}
