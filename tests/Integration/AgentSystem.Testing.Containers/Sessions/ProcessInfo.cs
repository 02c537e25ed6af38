using System.Globalization;

namespace AgentSystem.Testing.Containers.Sessions;

/// <summary>What /proc says about a process: alive, and since when. Linux only; elsewhere nothing is known.</summary>
public static class ProcessInfo
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    // Field 22 of /proc/<pid>/stat; fields after the ")" that closes the command name start at field 3.
    private const int StartTimeField = 22;
    private const int FirstFieldAfterName = 3;

    public static string? BootId { get; } = ReadBootId();

    /// <summary>This process's pid namespace, e.g. "pid:[4026531836]"; null where /proc does not say.</summary>
    public static string? PidNamespace { get; } = ReadPidNamespace();

    /// <summary>The start time in clock ticks since boot, or null when the process does not exist (or is a zombie).</summary>
    public static long? TryGetStartTime(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name may hold spaces and parentheses: everything up to the last ")" is pid and name.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // A killed child stays a zombie until its parent reaps it: it runs no more, so it counts as dead.
        if (fields.Length == 0 || fields[0] is "Z" or "X" or "x")
        {
            return null;
        }

        var index = StartTimeField - FirstFieldAfterName;
        return fields.Length > index && long.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? ticks
            : null;
    }

    /// <summary>True when /proc can be read, so a missing /proc/&lt;pid&gt; really means a dead process.</summary>
    public static bool CanObserveProcesses { get; } = OperatingSystem.IsLinux() && Directory.Exists("/proc/self");

    private static string? ReadPidNamespace()
    {
        try
        {
            return OperatingSystem.IsLinux() ? new FileInfo("/proc/self/ns/pid").LinkTarget : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadBootId()
    {
        try
        {
            return File.Exists(BootIdPath) ? File.ReadAllText(BootIdPath).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
