using System.Diagnostics;
using System.Globalization;

namespace AgentSystem.Build.Engine;

/// <summary>
/// A long, chatty step (apt-get, debootstrap, docker build) run quietly: its whole output goes to a log file, the
/// console gets a line when it starts, a line every <see cref="HeartbeatInterval"/> while it runs (the elapsed time and
/// its latest output), and one when it ends; on failure, the log's last lines. Plain lines, never redraws, so a CI log
/// reads the same as a terminal.
/// </summary>
public static class LoggedStep
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(30);
    public const int TailLines = 30;

    /// <summary>Runs the tool; throws <see cref="TargetFailedException"/> with the log's tail when it exits non-zero.</summary>
    public static void Run(string title, string logFile, string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        Log.Info($"{title}... (log: {DisplayPath(logFile)})");
        var watch = Stopwatch.StartNew();
        var latest = "";
        using var heartbeat = new Timer(_ => Log.Info($"  {title}: {Elapsed(watch.Elapsed)} so far{(latest.Length > 0 ? "; " + Shorten(latest, 100) : "")}"),
            null, HeartbeatInterval, HeartbeatInterval);
        var exitCode = ProcessRunner.RunToLog(fileName, arguments, logFile, line => { if (line.Trim().Length > 0) { latest = line.Trim(); } },
            workingDirectory, environment, cancellationToken);
        if (exitCode != 0)
        {
            throw new TargetFailedException($"{title} failed (exit code {exitCode}) after {Elapsed(watch.Elapsed)}. {Tail(logFile)}");
        }

        Log.Info($"{title}: done in {Elapsed(watch.Elapsed)}");
    }

    /// <summary>"Last lines of LOG:" and the lines, for a failure message.</summary>
    public static string Tail(string logFile, int lines = TailLines)
    {
        var tail = File.Exists(logFile) ? File.ReadLines(logFile).TakeLast(lines).ToList() : [];
        return $"Last {tail.Count} lines of {DisplayPath(logFile)}:{Environment.NewLine}{string.Join(Environment.NewLine, tail.Select(l => "  " + l))}";
    }

    public static string Elapsed(TimeSpan elapsed) => elapsed.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)elapsed.TotalMinutes}m{elapsed.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0}s");

    public static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>Relative to the working directory when below it (artifacts/logs/x.log), else absolute.</summary>
    public static string DisplayPath(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
