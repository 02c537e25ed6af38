using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>
/// Whether the .NET processes of a run (this generator and the services under test) are still compiling. A service's
/// figure is the CPU its tiered compilation threads used since the last look, from /proc (Linux; elsewhere a service is
/// never busy); that thread recompiles hot methods with full optimisation, and in freshly started services it kept 0.1
/// to 0.5 of a core busy per process for the first 10 to 15 s under load, when a 2 s warm-up measured the gateway at a
/// third of its warm rate (docs/load-history.md). Methods compiled at their first call run on the caller's thread and are not
/// seen there (the services under load queue hot methods at once, so that thread starts early). The generator's figure
/// is the runtime's own compile time, first calls included, on any OS: time, not CPU, so a loaded machine overstates it.
/// </summary>
internal sealed class CompilerWatch
{
    /// <summary>A process whose compiler used at least this share of a core since the last look is still compiling.</summary>
    public const double BusyCores = 0.05;

    /// <summary>The runtime's tiered compilation worker (".NET Tiered Compilation Worker", cut to 15 bytes by Linux).</summary>
    private const string CompilerThread = ".NET Tiered";

    private readonly Func<IReadOnlyDictionary<string, int>> _watched;
    private readonly Func<int, IReadOnlyDictionary<int, double>> _compilerSeconds;
    private Dictionary<(int Pid, int Thread), double> _last = [];
    private long _lastTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <param name="watched">The processes to watch by name, read at every look (a restarted process has a new id).</param>
    /// <param name="compilerSeconds">A process's compiler threads' CPU seconds by thread id (tests give their own).</param>
    public CompilerWatch(Func<IReadOnlyDictionary<string, int>> watched, Func<int, IReadOnlyDictionary<int, double>>? compilerSeconds = null)
    {
        _watched = watched;
        _compilerSeconds = compilerSeconds ?? CompilerSeconds;
        Busy();
    }

    /// <summary>The names of the processes still compiling since the last look (or since this watch was made).</summary>
    public IReadOnlyList<string> Busy()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var wall = Math.Max(1e-3, System.Diagnostics.Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds);
        _lastTimestamp = now;
        var busy = new List<string>();
        var seen = new Dictionary<(int, int), double>();
        foreach (var (name, pid) in _watched())
        {
            var used = 0.0;
            foreach (var (thread, seconds) in _compilerSeconds(pid))
            {
                // A thread not seen before started since the last look (the runtime ends the worker when it idles).
                used += seconds - _last.GetValueOrDefault((pid, thread));
                seen[(pid, thread)] = seconds;
            }

            if (used / wall >= BusyCores)
            {
                busy.Add(name);
            }
        }

        _last = seen;
        return busy;
    }

    /// <summary>The process's compiler threads' CPU seconds by thread id (this process's own compile time as one).</summary>
    internal static Dictionary<int, double> CompilerSeconds(int pid)
    {
        var threads = new Dictionary<int, double>();
        if (pid == Environment.ProcessId)
        {
            // This process knows its own compile time, first calls' included, on all its threads together.
            threads[0] = System.Runtime.JitInfo.GetCompilationTime().TotalSeconds;
            return threads;
        }

        try
        {
            foreach (var folder in Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(folder, "comm")).StartsWith(CompilerThread, StringComparison.Ordinal)
                        && CpuCounter.StatSeconds(Path.Combine(folder, "stat")) is { } seconds)
                    {
                        threads[int.Parse(Path.GetFileName(folder), CultureInfo.InvariantCulture)] = seconds;
                    }
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // The thread ended while it was read.
                }
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // No /proc, or the process ended.
        }

        return threads;
    }
}
