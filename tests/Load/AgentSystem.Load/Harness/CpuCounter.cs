using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>
/// One watched CPU counter (Linux): a service process's, from its <c>/proc/PID/stat</c>, or a container's, from its cgroup's
/// CPU accounting, which counts every process in it (each PostgreSQL connection is a process of its own) with no race
/// against processes that end. <see cref="Identity"/> tells a restarted process from the one before.
/// </summary>
internal sealed record CpuCounter(string Identity, Func<double?> Seconds)
{
    internal const double ClockTicksPerSecond = 100;   // USER_HZ on Linux

    public static CpuCounter Process(int pid) =>
        new($"pid {pid.ToString(CultureInfo.InvariantCulture)}", () => StatSeconds($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));

    /// <summary>The counter of the container <paramref name="containerId"/> (its full id); null when no cgroup of it is visible here.</summary>
    public static CpuCounter? Container(string containerId, string proc = "/proc", string cgroups = "/sys/fs/cgroup") =>
        ContainerCounterPath(containerId, proc, cgroups) is { } path ? new CpuCounter(path, () => CgroupSeconds(path)) : null;

    /// <summary>The user and system CPU seconds of a process's or thread's <c>stat</c> file; null when it is gone or unreadable.</summary>
    public static double? StatSeconds(string statPath)
    {
        if (ReadText(statPath) is not { } stat)
        {
            return null;
        }

        // After "pid (comm) " (a command name may hold spaces and parentheses): utime and stime, fields 14 and 15, in ticks.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
                ? (user + system) / ClockTicksPerSecond
                : null;
    }

    /// <summary>
    /// The CPU accounting file of a container's cgroup: found through a process in it (Docker names the cgroup by the
    /// container's id, under cgroup v1 and v2, with either cgroup driver), <c>cpuacct.usage</c> (v1, nanoseconds) or
    /// <c>cpu.stat</c> (v2, <c>usage_usec</c>). Null when no process here is in it (a remote Docker engine, another PID
    /// namespace) or its cgroup's files are not mounted here.
    /// </summary>
    internal static string? ContainerCounterPath(string containerId, string proc, string cgroups)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        foreach (var folder in Directories(proc).Where(f => int.TryParse(Path.GetFileName(f), NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            if (ReadText(Path.Combine(folder, "cgroup")) is not { } lines || !lines.Contains(containerId, StringComparison.Ordinal))
            {
                continue;
            }

            // "hierarchy:controllers:path": v1 lines name their controllers, the v2 line none ("0::/...").
            foreach (var line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(':', 3);
                if (parts.Length < 3 || !parts[2].Contains(containerId, StringComparison.Ordinal))
                {
                    continue;
                }

                string[] candidates = parts[1].Length == 0
                    ? [$"{cgroups}{parts[2]}/cpu.stat", $"{cgroups}/unified{parts[2]}/cpu.stat"]
                    : parts[1].Split(',').Contains("cpuacct")
                        ? [$"{cgroups}/{parts[1]}{parts[2]}/cpuacct.usage", $"{cgroups}/cpuacct{parts[2]}/cpuacct.usage", $"{cgroups}/cpu,cpuacct{parts[2]}/cpuacct.usage"]
                        : [];
                if (candidates.FirstOrDefault(File.Exists) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        return null;
    }

    /// <summary>A cgroup's CPU seconds so far: <c>cpuacct.usage</c> in nanoseconds, or <c>cpu.stat</c>'s <c>usage_usec</c>.</summary>
    internal static double? CgroupSeconds(string path)
    {
        if (ReadText(path) is not { } text)
        {
            return null;
        }

        if (path.EndsWith("cpuacct.usage", StringComparison.Ordinal))
        {
            return long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds) ? nanoseconds / 1e9 : null;
        }

        var usage = text.Split('\n').Select(l => l.Split(' ')).FirstOrDefault(f => f is ["usage_usec", _]);
        return usage is not null && long.TryParse(usage[1], NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) ? microseconds / 1e6 : null;
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Gone while it was read, or not readable: not counted.
            return null;
        }
    }

    private static string[] Directories(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
