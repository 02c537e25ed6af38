using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>
/// One second's CPU: this generator's, each watched process's (in cores), the whole machine's busy share, load. Over a
/// span shorter than <see cref="CpuSampler.ShortestSpan"/> the figures are NaN and no process is listed.
/// </summary>
internal sealed record CpuSample(double GeneratorCores, double MachineBusy, double LoadAverage, IReadOnlyDictionary<string, double> Processes);

/// <summary>
/// CPU use from /proc (Linux), sampled by the caller once a second: the generator's own (so a saturated generator
/// shows), the services under test and the PostgreSQL and Redis containers it started (<see cref="CpuCounter"/>), and the
/// machine's (other people's builds included). Elsewhere only the generator's own is known.
/// </summary>
internal sealed class CpuSampler
{
    /// <summary>
    /// A sample over less wall time than this has no CPU figures (NaN, no processes), and the next one covers its span:
    /// /proc counts CPU in 10 ms clock ticks, so one tick over a few milliseconds (a phase's final flush just after its
    /// last one-second sample) read as 1.7 cores.
    /// </summary>
    public static readonly TimeSpan ShortestSpan = TimeSpan.FromMilliseconds(250);

    private readonly Func<IReadOnlyDictionary<string, CpuCounter>> _watched;
    private readonly Func<(long Busy, long Total)?> _machine;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (string Identity, double Seconds)> _lastProcess = new(StringComparer.Ordinal);
    private TimeSpan _lastGenerator = Environment.CpuUsage.TotalTime;
    private long _lastTimestamp;
    private (long Busy, long Total)? _lastMachine;

    /// <param name="watched">The processes and containers to follow, by name (read at every sample: a restarted process has a new counter).</param>
    /// <param name="time">The clock the samples' spans are measured on.</param>
    /// <param name="machine">The machine's busy and total clock ticks so far, null when unknown (tests give their own).</param>
    public CpuSampler(
        Func<IReadOnlyDictionary<string, CpuCounter>>? watched = null, TimeProvider? time = null, Func<(long Busy, long Total)?>? machine = null)
    {
        _watched = watched ?? (() => new Dictionary<string, CpuCounter>());
        _machine = machine ?? ReadMachine;
        _time = time ?? TimeProvider.System;
        _lastTimestamp = _time.GetTimestamp();
        _lastMachine = _machine();
    }

    public static int Cores => Environment.ProcessorCount;

    public CpuSample Sample()
    {
        var now = _time.GetTimestamp();
        var wall = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        if (wall < ShortestSpan.TotalSeconds)
        {
            return new CpuSample(double.NaN, double.NaN, LoadAverage(), new Dictionary<string, double>(StringComparer.Ordinal));
        }

        _lastTimestamp = now;
        var generator = Environment.CpuUsage.TotalTime;
        var generatorCores = (generator - _lastGenerator).TotalSeconds / wall;
        _lastGenerator = generator;

        var machine = _machine();
        var busy = machine is { } m && _lastMachine is { } l && m.Total > l.Total ? (double)(m.Busy - l.Busy) / (m.Total - l.Total) : double.NaN;
        _lastMachine = machine;

        var processes = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, counter) in _watched())
        {
            if (counter.Seconds() is not { } seconds)
            {
                continue;
            }

            processes[name] = _lastProcess.TryGetValue(name, out var last) && last.Identity == counter.Identity ? Math.Max(0, (seconds - last.Seconds) / wall) : 0;
            _lastProcess[name] = (counter.Identity, seconds);
        }

        return new CpuSample(generatorCores, busy, LoadAverage(), processes);
    }

    /// <summary>The one-minute load average, NaN where /proc/loadavg is missing.</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    private static (long Busy, long Total)? ReadMachine()
    {
        try
        {
            return ParseMachine(File.ReadLines("/proc/stat").First());
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The busy and total ticks of /proc/stat's first line, <c>cpu  user nice system idle iowait irq softirq steal guest
    /// guest_nice</c>: the first eight (guest time is counted in user time already), idle and iowait not busy. Null
    /// when the line is not that.
    /// </summary>
    internal static (long Busy, long Total)? ParseMachine(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu")
        {
            return null;
        }

        var ticks = new long[8];
        for (var i = 0; i < ticks.Length; i++)
        {
            if (!long.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ticks[i]))
            {
                return null;
            }
        }

        var total = ticks.Sum();
        return (total - ticks[3] - ticks[4], total);
    }
}
