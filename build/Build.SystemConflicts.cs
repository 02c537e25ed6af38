using System.Net;
using System.Text.RegularExpressions;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build;

/// <summary>
/// What stands in a system's way before it starts: its ports taken (by a Dev run, another system, another program), and
/// systems of the same name or of other checkouts, each told with what to do about it.
/// </summary>
internal partial class Build
{
    /// <summary>The address compose publishes the gateway and the frontend on (services/docker-compose.yml; 127.0.0.1 unset).</summary>
    private const string BindVariable = "AGENTSYSTEM_BIND";

    /// <summary>services/docker-compose.yml's variable for the names the frontend's /api and the gateway serve besides localhost and IP addresses.</summary>
    private const string AllowedHostsVariable = "AGENTSYSTEM_ALLOWED_HOSTS";

    /// <summary>The frontend container's variable that compose sets from <see cref="AllowedHostsVariable"/>.</summary>
    private const string FrontendAllowedHostsVariable = "ALLOWED_HOSTS";

    /// <summary>
    /// docker ps's format for a container's compose project, config files and working folder, as
    /// <see cref="ParseRunningSystems"/> reads them.
    /// </summary>
    private const string SystemLabels = "{{.Label \"com.docker.compose.project\"}}|{{.Label \"com.docker.compose.project.config_files\"}}"
        + "|{{.Label \"com.docker.compose.project.working_dir\"}}";

    /// <summary>What to say when the gateway and the frontend are to be published on one port (a usage error); null when not.</summary>
    internal static string? SamePortProblem(SystemSettings settings) =>
        settings.GatewayPort != 0 && settings.GatewayPort == settings.FrontendPort
            ? $"The gateway and the frontend are both to be published on port {settings.GatewayPort}, so nothing was started:"
                + " give each its own with --system-gateway-port N or --system-frontend-port N (0: any free port)."
            : null;

    /// <summary>
    /// What to say when a host port the system is to publish (0: any free one) is taken by something other than its own
    /// containers (<paramref name="held"/>): a Dev run, another system, another program. Null when they are free.
    /// </summary>
    /// <param name="checkout">This checkout: a system another one started is named with its checkout, and its SystemDown
    /// offered only if it is the user's (helper-102 followed the advice and removed another clone's system).</param>
    /// <param name="holderOf">The process holding a port (<see cref="PortHolder.Of"/>), named when it is no system.</param>
    internal static string? PortsTakenProblem(SystemSettings settings, IReadOnlyCollection<int> held, IPAddress bind,
        Func<int, (string Name, string Checkout)?>? systemPublishing = null, string? checkout = null, Func<int, PortHolder?>? holderOf = null)
    {
        var busy = LocalPorts.InUse(new[] { ("gateway", settings.GatewayPort), ("frontend", settings.FrontendPort) }
            .Where(wanted => wanted.Item2 != 0 && !held.Contains(wanted.Item2)), bind);
        if (busy.Count == 0)
        {
            return null;
        }

        var list = string.Join(", ", busy.Select(b => $"{b.Port} ({b.Name})"));
        var options = string.Join(" and ", busy.Select(b => $"--system-{b.Name}-port N"));
        var start = $"The system publishes its gateway and frontend on {bind}, and something listens on {list} already, so nothing was started.";
        if (systemPublishing?.Invoke(busy[0].Port) is { } other)
        {
            var down = checkout is null || SameCheckout(other.Checkout, PhysicalPath(checkout))
                ? $"{SystemDownCommand(other.Name)} removes it"
                : $"it runs from another checkout ({other.Checkout}), and {SystemDownCommand(other.Name)} removes it if it is yours";
            return $"{start} System '{other.Name}' publishes {busy[0].Port}: {down}; or publish elsewhere: {options} (0: any free port).";
        }

        if (holderOf?.Invoke(busy[0].Port) is { } holder)
        {
            return $"{start} {PortHolderAdvice(holder, busy[0].Port, checkout)} Or publish elsewhere: {options} (0: any free port).";
        }

        return start
            + $" A Dev run (stop it), another system ({LocalPorts.ContainersCommand(busy[0].Port)} names its containers),"
            + $" or another program ({LocalPorts.ProcessCommand(busy[0].Port)} names it); or publish elsewhere: {options} (0: any free port).";
    }

    /// <summary>What to do about what listens on <paramref name="port"/>: its holder named, or the command that names it.</summary>
    private string PortAdvice(PortHolder? holder, int port) => holder is not null
        ? PortHolderAdvice(holder, port, RootDirectory)
        : $"Stop what holds the port: {LocalPorts.ProcessCommand(port)} names it.";

    /// <summary>
    /// What to say of the process holding <paramref name="port"/>: a Dev run, this checkout's or another's (helper-102: another
    /// clone's was taken for a system), a container of another project, or the program by its pid and command line.
    /// </summary>
    internal static string PortHolderAdvice(PortHolder holder, int port, string? checkout)
    {
        if (holder.DevRun() is { } dev)
        {
            // Its build, not the service: the run's supervisor starts a killed service again.
            var stop = $"Ctrl+C where it runs, or kill {dev.BuildPid}, its build";
            return checkout is not null && SameCheckout(dev.Checkout, PhysicalPath(checkout))
                ? $"It is this checkout's Dev run (its {dev.Service}, pid {holder.Pid}): use it, or stop it ({stop})."
                : $"It is a Dev run from another checkout ({dev.Checkout}; its {dev.Service}, pid {holder.Pid}): stop it there ({stop}) if it is yours.";
        }

        return holder.IsDockerProxy
            ? $"It is a container's published port ({LocalPorts.ContainersCommand(port)} names it): stop that container if it is yours."
            : $"It is {holder}: stop it if it is yours.";
    }

    /// <summary>
    /// The system (a compose project of this repository's compose file, in any clone) whose container publishes
    /// <paramref name="port"/> where a listener on <paramref name="address"/> would be, with the checkout whose compose
    /// file started it, or null: another compose project is not SystemDown's to remove (helper-59).
    /// </summary>
    private (string Name, string Checkout)? PublishingSystem(int port, IPAddress address)
    {
        var found = ProcessRunner.Capture(Docker.Cli, ["ps", "--format", SystemLabels + "\t{{.Ports}}"], cancellationToken: CancellationToken);
        return found.ExitCode == 0
            && ParseRunningSystems(string.Join('\n', PublishedPorts.Holders(found.Output, address.ToString(), port, "tcp"))) is [var system, ..]
            ? system
            : null;
    }

    /// <summary>
    /// The systems (compose projects of this repository's compose file, in any clone) with a container running, each
    /// with the checkout that started it; <paramref name="filters"/> are docker ps's.
    /// </summary>
    private IReadOnlyList<(string Name, string Checkout)> RunningSystems(params string[] filters)
    {
        var found = ProcessRunner.Capture(Docker.Cli, ["ps", .. filters, "--format", SystemLabels], cancellationToken: CancellationToken);
        return found.ExitCode != 0 ? [] : ParseRunningSystems(found.Output);
    }

    /// <summary>
    /// docker ps's "project|config files|working folder" lines (<see cref="SystemLabels"/>; the folder may be missing): the
    /// projects of this repository's compose file, with their checkouts.
    /// </summary>
    internal static IReadOnlyList<(string Name, string Checkout)> ParseRunningSystems(string lines) =>
        [.. lines.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|', 2))
            .Where(parts => parts is [{ Length: > 0 }, _])
            .SelectMany(parts => ConfigFiles(parts[1])
                .Where(file => file.EndsWith(ComposeFile, StringComparison.Ordinal))
                .Select(file => (parts[0], file[..^ComposeFile.Length].TrimEnd('/') is { Length: > 0 } checkout ? checkout : "/")))
            .Distinct()];

    /// <summary>
    /// The absolute paths of a project's config files, from its labels ("files|working folder"). Compose v2 labels them
    /// absolute; Debian's docker-compose 1.29 as its command line named them, so the README's
    /// <c>-f services/docker-compose.yml</c> is relative (helper-129: SystemTest, SystemUp and SystemDown failed on
    /// <c>Path.GetFullPath("")</c> while such a system ran), and the working folder is the first file's folder or
    /// <c>--project-directory</c>. Relative files are read in the folder compose ran in: the working folder less the
    /// first file's folder, or the working folder itself (<c>--project-directory .</c>); without one they are left out.
    /// </summary>
    private static IEnumerable<string> ConfigFiles(string labels)
    {
        var bar = labels.LastIndexOf('|');
        var (files, folder) = bar < 0 ? (labels, "") : (labels[..bar], labels[(bar + 1)..].Replace('\\', '/').TrimEnd('/'));
        files = files.Replace('\\', '/');
        if (IsAbsolute(files))
        {
            return ConfigFileSeparator().Split(files);
        }

        // Relative: 1.29 joins them with commas as typed.
        var relative = files.Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (folder.Length == 0 || relative.Length == 0)
        {
            return [];
        }

        var firstFolder = relative[0].LastIndexOf('/') is var slash and > 0 ? relative[0][..slash].TrimStart('.', '/') : "";
        var ranIn = firstFolder.Length > 0 && folder.EndsWith('/' + firstFolder, StringComparison.Ordinal) ? folder[..^(firstFolder.Length + 1)] : folder;
        return relative.Select(file => IsAbsolute(file) ? file : $"{ranIn}/{(file.StartsWith("./", StringComparison.Ordinal) ? file[2..] : file)}");
    }

    private static bool IsAbsolute(string file) => file.StartsWith('/') || file is [_, ':', '/', ..] && char.IsAsciiLetter(file[0]);

    /// <summary>
    /// Compose joins a project's config files with commas, each an absolute path: a comma followed by one separates two,
    /// and a checkout's own commas stay in its path (a plain split made /home/a,b's system another checkout's).
    /// </summary>
    [GeneratedRegex(@",(?=/|[A-Za-z]:[\\/])")]
    private static partial Regex ConfigFileSeparator();

    /// <summary>
    /// The checkout whose compose file started the running system <paramref name="name"/>, when that is not this one;
    /// null when none runs or this one started it. helper-99: SystemTest brought another clone's system up again with this
    /// clone's images (the default name is every clone's).
    /// </summary>
    private string? ForeignCheckoutOf(string name) =>
        // --all: a stopped system is brought up again by SystemUp as much as a running one (its containers, its volumes).
        ForeignCheckout(RootDirectory, name, RunningSystems("--all", "--filter", $"label=com.docker.compose.project={name}"));

    internal static string? ForeignCheckout(string checkout, string name, IEnumerable<(string Name, string Checkout)> running)
    {
        var here = PhysicalPath(checkout);
        return running.Where(s => s.Name == name && !SameCheckout(s.Checkout, here)).Select(s => s.Checkout).FirstOrDefault();
    }

    /// <summary>Whether a system's checkout is <paramref name="physicalPath"/> (<see cref="PhysicalPath"/>'s; Windows paths ignore case).</summary>
    private static bool SameCheckout(string checkout, string physicalPath) =>
        string.Equals(PhysicalPath(checkout), physicalPath, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>
    /// The folder with every symbolic link on its way resolved, '/'-separated: build.sh runs from the physical path, and
    /// compose by hand from a linked folder labels its containers with the logical one.
    /// </summary>
    internal static string PhysicalPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var resolved = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            resolved = Path.Combine(resolved, part);
            // A folder that is gone (a deleted clone whose system still runs) is taken as written.
            if (Directory.Exists(resolved) && new DirectoryInfo(resolved).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                resolved = target.FullName;
            }
        }

        return resolved.Replace('\\', '/').TrimEnd('/');
    }

    internal static string ForeignSystemProblem(string name, string checkout) =>
        $"The system '{name}' runs from another checkout ({checkout}), and this one would replace its images with its own, so nothing was changed. "
        + $"Run one of this checkout's under another name: {SystemCommand(nameof(SystemUp), name + "-2")} --system-gateway-port 0 --system-frontend-port 0 (0: any free port); "
        + $"or, if that one is yours to remove (its data goes with it), {SystemDownCommand(name)} first (from either checkout).";

    /// <summary>
    /// Said when SystemTest finds no system of its name (helper-95: one started with --system-name ran beside it unnoticed):
    /// the systems <paramref name="checkout"/> started, other than SystemTest's own, and how to test one of them instead.
    /// </summary>
    internal static string? OtherSystemsOf(string checkout, string systemName, IEnumerable<(string Name, string Checkout)> running)
    {
        var folder = PhysicalPath(checkout);
        var others = running.Where(s => SameCheckout(s.Checkout, folder) && !TestSystemName().IsMatch(s.Name))
            .Select(s => s.Name).Order(StringComparer.Ordinal).ToList();
        return others.Count == 0 ? null
            : $"No system '{systemName}' runs; this checkout's {string.Join(", ", others.Select(name => $"'{name}'"))} {(others.Count == 1 ? "does" : "do")}: "
              + $"{SystemCommand(nameof(SystemTest), others[0])} tests {(others.Count == 1 ? "it" : "the first")}.";
    }
}
