using System.Globalization;

namespace AgentSystem.Build.Tools;

/// <summary>
/// The process listening on a local TCP port, found through Linux's /proc (the listening socket's inode, then the process
/// with that socket open), so a port conflict can name what holds the port instead of a command to find it.
/// </summary>
public sealed record PortHolder(int Pid, string Command, string Directory)
{
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
                    return new PortHolder(int.Parse(process!, CultureInfo.InvariantCulture), command, directory);
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }

        return null;
    }

    /// <summary>
    /// The checkout and service when the holder looks like a Dev run's process: its .NET services run from
    /// CHECKOUT/services/NAME/bin/..., its frontend from CHECKOUT/services/frontend, a checkout having build.sh.
    /// </summary>
    public (string Checkout, string Service)? DevRun()
    {
        var marker = Directory.LastIndexOf("/services/", StringComparison.Ordinal);
        if (marker < 0)
        {
            return null;
        }

        var checkout = Directory[..marker];
        var service = Directory[(marker + "/services/".Length)..].Split('/')[0];
        return service.Length > 0 && File.Exists(Path.Combine(checkout, "build.sh")) ? (checkout, service) : null;
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
