using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>
/// A process and everything it started, read from /proc (Linux): how PostgreSQL's CPU is counted, whose every
/// connection is a process of its own, and a container's, found by its id. Elsewhere, or for a container on another
/// machine (a remote Docker engine), nothing is found and nothing is counted.
/// </summary>
internal static class ProcessTree
{
    /// <summary>
    /// The CPU seconds of <paramref name="pid"/> and its descendants: each live one's own, and those of its children that
    /// ended and were waited for (a process's <c>cutime</c> and <c>cstime</c>), so a backend that exits between two samples
    /// keeps counting. Children are read from the main thread's <c>children</c> file: what other threads forked is not
    /// followed (PostgreSQL and Redis fork from their main thread). Null when the process is gone.
    /// </summary>
    public static double? CpuSeconds(int pid, string proc = "/proc")
    {
        var total = CpuSecondsWithReaped(pid, proc);
        if (total is null)
        {
            return null;
        }

        var pending = new Stack<int>(Children(pid, proc));
        while (pending.TryPop(out var child))
        {
            // A child that ended since the list was read is in its parent's reaped figures once waited for.
            total += CpuSecondsWithReaped(child, proc) ?? 0;
            foreach (var grandchild in Children(child, proc))
            {
                pending.Push(grandchild);
            }
        }

        return total;
    }

    /// <summary>
    /// The host's process id of the first process of the container <paramref name="containerId"/> (its full id, which
    /// Docker names the container's cgroup by, v1 and v2 alike): the one of the container's processes whose parent is not
    /// one of them. Null when no process here is in it.
    /// </summary>
    public static int? ContainerRoot(string containerId, string proc = "/proc")
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        var members = new Dictionary<int, int>();
        foreach (var folder in SafeDirectories(proc))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (ReadText(Path.Combine(folder, "cgroup")) is { } cgroups && cgroups.Contains(containerId, StringComparison.Ordinal)
                && ReadText(Path.Combine(folder, "stat")) is { } stat && StatFields(stat) is [_, var parent, ..]
                && int.TryParse(parent, NumberStyles.None, CultureInfo.InvariantCulture, out var ppid))
            {
                members[pid] = ppid;
            }
        }

        return members.Where(member => !members.ContainsKey(member.Value)).Select(member => (int?)member.Key).Min();
    }

    /// <summary>
    /// The user and system CPU seconds of a process's or thread's <c>stat</c> file, with <paramref name="reaped"/> those of
    /// its children that ended and were waited for; null when it is gone or unreadable.
    /// </summary>
    public static double? StatSeconds(string statPath, bool reaped = false)
    {
        if (ReadText(statPath) is not { } stat)
        {
            return null;
        }

        // After "pid (comm) ": state (3) ppid (4) ... utime (14) stime (15) cutime (16) cstime (17), in clock ticks.
        var fields = StatFields(stat);
        long ticks = 0;
        for (var i = 11; i <= (reaped ? 14 : 12); i++)
        {
            if (fields.Length <= i || !long.TryParse(fields[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            ticks += value;
        }

        return ticks / CpuSampler.ClockTicksPerSecond;
    }

    private static double? CpuSecondsWithReaped(int pid, string proc) => StatSeconds(Path.Combine(proc, Text(pid), "stat"), reaped: true);

    private static IEnumerable<int> Children(int pid, string proc) =>
        (ReadText(Path.Combine(proc, Text(pid), "task", Text(pid), "children")) ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(child => int.TryParse(child, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0)
            .Where(id => id > 0);

    // The fields after the command name, which may hold spaces and parentheses: state is the first.
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

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

    private static string[] SafeDirectories(string path)
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

    private static string Text(int pid) => pid.ToString(CultureInfo.InvariantCulture);
}
