using System.Globalization;

namespace AgentSystem.Build.Tools;

/// <summary>
/// The process listening on a local TCP port, found through Linux's /proc (the listening socket's inode, then the process
/// with that socket open), so a port conflict can name what holds the port instead of a command to find it.
/// </summary>
/// <param name="DevRunMarker">The <see cref="DevRunVariable"/> in its environment: Dev's services carry it.</param>
public sealed record PortHolder(int Pid, string Command, string Directory, string? DevRunMarker = null)
{
    /// <summary>
    /// Set in the environment of every process Dev starts, "SERVICE|BUILD PID|CHECKOUT": a process that merely runs from a
    /// service's folder (npm start in services/frontend) is no Dev run, and its page has no gateway behind it; a Dev run
    /// stops when its build is told to (its supervisor starts a killed service again).
    /// </summary>
    public const string DevRunVariable = "AGENTSYSTEM_DEV_RUN";

    public static string DevRunValue(string service, int buildPid, string checkout) =>
        $"{service}|{buildPid.ToString(CultureInfo.InvariantCulture)}|{checkout}";

    /// <summary>The holder of <paramref name="port"/>; null off Linux, when nothing listens, or when its process is not ours to read.</summary>
    public static PortHolder? Of(int port)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var sockets = ListeningSockets("/proc/net/tcp", port).Concat(ListeningSockets("/proc/net/tcp6", port)).Select(inode => $"socket:[{inode}]").ToHashSet(StringComparer.Ordinal);
        if (sockets.Count == 0)
        {
            return null;
        }

        foreach (var process in System.IO.Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit)))
        {
            try
            {
                if (System.IO.Directory.EnumerateFileSystemEntries($"/proc/{process}/fd").Any(fd => new FileInfo(fd).LinkTarget is { } target && sockets.Contains(target)))
                {
                    var command = File.ReadAllText($"/proc/{process}/cmdline").Replace('\0', ' ').Trim();
                    var directory = new DirectoryInfo($"/proc/{process}/cwd").LinkTarget ?? "";
                    return new PortHolder(int.Parse(process!, CultureInfo.InvariantCulture), command, directory, TrustedDevRunMarker(process!));
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }

        return null;
    }

    /// <summary>The checkout, service and build of a Dev run's process (<see cref="DevRunVariable"/>); null for any other.</summary>
    public (string Checkout, string Service, int BuildPid)? DevRun() => ParseDevRun(DevRunMarker);

    private static (string Checkout, string Service, int BuildPid)? ParseDevRun(string? marker) =>
        marker?.Split('|', 3) is [{ Length: > 0 } service, var pid, { Length: > 0 } checkout]
            && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var buildPid)
            ? (checkout, service, buildPid)
            : null;

    /// <summary>
    /// The process's <see cref="DevRunVariable"/>, believed only when the process is this user's and the build the marker
    /// names is its ancestor: any process can set the variable (helper-125: another user's listener, so vouched for, was
    /// "this checkout's Dev run: use it", and the advice said to kill the pid it chose).
    /// </summary>
    private static string? TrustedDevRunMarker(string process)
    {
        var marker = ReadDevRunMarker(process);
        return ParseDevRun(marker) is { } dev && Status(process, "Uid") == Status("self", "Uid") && Ancestors(process).Contains(dev.BuildPid)
            ? marker
            : null;
    }

    /// <summary>The process's <see cref="DevRunVariable"/>; null when it has none or its environment is not ours to read.</summary>
    private static string? ReadDevRunMarker(string process)
    {
        try
        {
            var prefix = DevRunVariable + "=";
            return File.ReadAllText($"/proc/{process}/environ").Split('\0').FirstOrDefault(v => v.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The first value of a field of /proc/PROCESS/status ("Uid": the real user; "PPid": the parent); null once it is gone.</summary>
    private static string? Status(string process, string field)
    {
        try
        {
            var prefix = field + ":";
            return File.ReadLines($"/proc/{process}/status").FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..]
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process's parent, its parent's, ... up to the first process.</summary>
    private static IEnumerable<int> Ancestors(string process)
    {
        for (var depth = 0; depth < 256 && int.TryParse(Status(process, "PPid"), NumberStyles.None, CultureInfo.InvariantCulture, out var parent) && parent > 0; depth++)
        {
            yield return parent;
            process = parent.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Docker's proxy for a container's published port: the container, not this process, is what to name.</summary>
    public bool IsDockerProxy => Command.Contains("docker-proxy", StringComparison.Ordinal);

    /// <summary>"pid 1234: node server.mjs, in /srv/app" (the command cut to a line's length).</summary>
    public override string ToString() =>
        $"pid {Pid}: {(Command.Length > 80 ? Command[..77] + "..." : Command)}{(Directory.Length > 0 ? $", in {Directory}" : "")}";

    /// <summary>The inodes of the sockets listening on <paramref name="port"/> in a /proc/net/tcp-shaped table.</summary>
    internal static IEnumerable<string> ListeningSockets(string table, int port)
    {
        const string Listen = "0A";
        var suffix = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var lines = File.Exists(table) ? File.ReadLines(table).Skip(1) : [];
        foreach (var line in lines)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 9 && fields[1].EndsWith(suffix, StringComparison.Ordinal) && fields[3] == Listen)
            {
                yield return fields[9];
            }
        }
    }
}
