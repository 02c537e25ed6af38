using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentSystem.Build.Engine;

/// <summary>
/// The builds running in one checkout, each registered by a file in .nuke/temp/running for as long as it runs. Two builds
/// at once write the same bin/, obj/ and artifacts/ folders (a Compile beside Dev replaces the assemblies Dev's services
/// run from; two compiles can fail on each other's files), and nothing said so (helper-133). Only builds whose plan
/// writes them (<see cref="ITargetDefinition.WritesOutputs"/>) register and are warned: Affected or SystemUp beside Dev
/// clash with nothing.
/// </summary>
internal sealed class RunningBuilds : IDisposable
{
    internal sealed record Entry(int Pid, string Host, DateTimeOffset StartedAt, string CommandLine);

    /// <summary>An entry from another host (a checkout shared with a container) is not reported, and is removed once this old.</summary>
    private static readonly TimeSpan ForeignEntryKept = TimeSpan.FromDays(7);

    /// <summary>Process start times read twice differ by a few milliseconds (the boot time they are counted from is derived).</summary>
    private static readonly TimeSpan SameStart = TimeSpan.FromSeconds(2);

    private readonly string _folder;
    private readonly string _file;
    private readonly HashSet<Entry> _warned = [];

    public Entry Own { get; }

    private RunningBuilds(string folder, Entry own)
    {
        _folder = folder;
        Own = own;
        _file = Path.Combine(folder, FileName(own));
    }

    public static string Folder(string root) => Path.Combine(root, ".nuke", "temp", "running");

    /// <summary>Registers this process's build; disposing it removes the registration.</summary>
    public static RunningBuilds Register(string root, string commandLine)
    {
        var own = new Entry(Environment.ProcessId, Environment.MachineName, StartOf(Process.GetCurrentProcess()), commandLine);
        var registry = new RunningBuilds(Folder(root), own);
        try
        {
            Directory.CreateDirectory(registry._folder);
            var temporary = registry._file + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(own));
            File.Move(temporary, registry._file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only checkout still builds; only the warning is lost.
            Log.Info($"Could not register this build in {registry._folder} ({e.Message}): another build here will not know of it.");
        }
        return registry;
    }

    /// <summary>The other builds of this checkout still running; registrations their processes left behind are removed.</summary>
    public IReadOnlyList<Entry> Others()
    {
        if (!Directory.Exists(_folder))
        {
            return [];
        }
        // A registration half made by a build killed while it wrote it (a minute is long past any write).
        foreach (var torn in Directory.EnumerateFiles(_folder, "*.json.tmp").Where(f => File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddMinutes(-1)))
        {
            TryDelete(torn);
        }

        var others = new List<Entry>();
        foreach (var file in Directory.EnumerateFiles(_folder, "*.json"))
        {
            if (file == _file)
            {
                continue;
            }
            var (entry, torn) = Read(file);
            if (entry is not null && IsRunning(entry))
            {
                others.Add(entry);
            }
            // A file that could not be read this moment is left; one that is no entry, or whose build ended, is removed.
            else if (torn || (entry is not null && (entry.Host == Own.Host || File.GetLastWriteTimeUtc(file) < DateTime.UtcNow - ForeignEntryKept)))
            {
                TryDelete(file);
            }
        }
        return others.OrderBy(e => e.StartedAt).ToList();
    }

    /// <summary>Says which other builds run here.</summary>
    public void WarnAboutOthers()
    {
        var clashing = Others();
        _warned.UnionWith(clashing);
        if (clashing.Count == 0)
        {
            return;
        }
        var lead = clashing.Count == 1 ? "Another build is running in this checkout" : $"{clashing.Count} other builds are running in this checkout";
        Log.Warning($"{lead}: {string.Join("; ", clashing.Select(Describe))}.");
        Log.Warning("  Both write bin/, obj/ and artifacts/ under the other's feet: Dev's services run from bin/, and two compiles at once "
            + "can fail on each other's files. Let one end first where you can.");
    }

    /// <summary>
    /// After a failure: the builds that ran beside this one, those warned about at its start and those started since,
    /// whose writes may be what failed it.
    /// </summary>
    public void NoteAfterFailure()
    {
        var beside = _warned.Union(Others()).OrderBy(e => e.StartedAt).ToList();
        if (beside.Count > 0)
        {
            Log.Warning($"Beside this build ran {string.Join("; ", beside.Select(Describe))}: a file under bin/, obj/ or artifacts/ "
                + "that could not be written or read may be its doing.");
        }
    }

    public static string Describe(Entry entry) =>
        $"pid {entry.Pid}, {entry.CommandLine}, since {entry.StartedAt.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)}";

    public void Dispose() => TryDelete(_file);

    private bool IsRunning(Entry entry)
    {
        if (entry.Host != Own.Host)
        {
            // Its process is in another host's (or container's) table: it may run, and nothing here can tell.
            return false;
        }
        if (entry.Pid == Own.Pid)
        {
            return false;
        }
        try
        {
            using var process = Process.GetProcessById(entry.Pid);
            // A pid the system gave to another process since: not that build.
            return (StartOf(process) - entry.StartedAt).Duration() < SameStart;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static DateTimeOffset StartOf(Process process) => new(process.StartTime.ToUniversalTime(), TimeSpan.Zero);

    private static string FileName(Entry entry) => $"{entry.Host}-{entry.Pid}.json";

    /// <summary>The entry, or null with <c>torn</c> when the file holds none (not when it could not be read just now).</summary>
    private static (Entry? Entry, bool Torn) Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<Entry>(File.ReadAllText(file)) is { } entry ? (entry, false) : (null, true);
        }
        catch (JsonException)
        {
            return (null, true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, false);
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next build to remove: its process is gone either way.
        }
    }
}
