using System.Collections.Concurrent;
using System.Diagnostics;

namespace AgentSystem.Build.Engine;

public sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>
/// Runs child processes; every one still running is killed, with its children, when the build is cancelled, but for
/// one given a stop grace, which is asked to stop first.
/// </summary>
public static class ProcessRunner
{
    private static readonly ConcurrentDictionary<Process, Tool> Running = new();

    /// <param name="Grace">Null: killed at once when the build is cancelled; else sent SIGTERM and given this long.</param>
    private sealed record Tool(string Description, TimeSpan? Grace);

    /// <summary>Runs a tool with the console as its output; throws when it exits non-zero.</summary>
    public static void Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default) =>
        Run(fileName, arguments, workingDirectory, environment, null, cancellationToken);

    /// <summary>
    /// <see cref="Run(string, IEnumerable{string}, string?, IReadOnlyDictionary{string, string}?, CancellationToken)"/>
    /// for a tool that cleans up after itself when asked to stop (the load harness: its services and containers):
    /// cancelled, it is sent SIGTERM and killed only if still running after <paramref name="stopGrace"/>.
    /// </summary>
    public static void Run(string fileName, IEnumerable<string> arguments, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment, TimeSpan? stopGrace, CancellationToken cancellationToken)
    {
        var result = Execute(fileName, arguments, workingDirectory, environment, capture: false, cancellationToken, stopGrace: stopGrace);
        if (result.ExitCode != 0)
        {
            throw new ToolFailedException($"{Path.GetFileName(fileName)} exited with code {result.ExitCode}.", result.ExitCode);
        }
    }

    /// <summary>Runs a tool and returns what it printed; the caller decides what a non-zero exit means.</summary>
    public static ProcessResult Capture(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default) =>
        Execute(fileName, arguments, workingDirectory, environment, capture: true, cancellationToken);

    /// <summary>
    /// Runs a tool with its output (stdout and stderr, in order of arrival) appended to <paramref name="logFile"/> and
    /// each line handed to <paramref name="onLine"/>; returns the exit code.
    /// </summary>
    public static int RunToLog(string fileName, IEnumerable<string> arguments, string logFile, Action<string>? onLine = null,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        using var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var gate = new object();
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                log.WriteLine(line);
                onLine?.Invoke(line);
            }
        }
        log.WriteLine($"$ {string.Concat(Assignments(environment))}{fileName} {string.Join(' ', arguments)}");
        return Execute(fileName, arguments, workingDirectory, environment, capture: true, cancellationToken, Write).ExitCode;
    }

    /// <summary>
    /// The variables a command gets beyond the build's own, as a shell sets them (<c>NAME=value </c>), so that its log
    /// line says what it ran with (the image tags SystemUp hands Compose, say); a secret's value (a name that ends in
    /// KEY, PASSWORD, TOKEN or SECRET) is left out.
    /// </summary>
    private static IEnumerable<string> Assignments(IReadOnlyDictionary<string, string>? environment) =>
        (environment ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => $"{e.Key}={(IsSecret(e.Key) ? "***" : ShellCommand.Word(e.Value))} ");

    private static readonly string[] SecretEndings = ["KEY", "PASSWORD", "TOKEN", "SECRET"];

    internal static bool IsSecret(string name) => SecretEndings.Any(end => name.EndsWith(end, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Kills every child process this build started (and their descendants), but for those given a stop grace unless
    /// <paramref name="evenGraceful"/> (a second Ctrl+C); returns what was killed.
    /// </summary>
    public static IReadOnlyList<string> KillAll(bool evenGraceful = false)
    {
        var killed = new List<string>();
        foreach (var (process, tool) in Running)
        {
            if (tool.Grace is not null && !evenGraceful)
            {
                continue;
            }

            if (Kill(process))
            {
                killed.Add(tool.Description);
            }
        }
        return killed;
    }

    private static bool Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                return true;
            }
        }
        catch (InvalidOperationException) { /* exited meanwhile */ }
        return false;
    }

    /// <summary>
    /// SIGTERM by the <c>kill</c> command (.NET has no API for it); false when it could not be sent (no such command,
    /// the process gone), for the caller to kill instead: a throw here would escape the build's signal handler.
    /// </summary>
    internal static bool Terminate(int processId)
    {
        try
        {
            return Capture("kill", ["-TERM", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode == 0;
        }
        catch (ToolFailedException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM now (on Windows, the kill), the kill after <paramref name="grace"/>, without blocking the thread that cancelled (a signal's).</summary>
    private static void Stop(Process process, string description, TimeSpan grace)
    {
        if (OperatingSystem.IsWindows() || process.HasExited)
        {
            Kill(process);
            return;
        }

        if (!Terminate(process.Id))
        {
            Kill(process);
            return;
        }

        Log.Warning($"  stopping: {description} (SIGTERM; it has {grace.TotalSeconds:0} s to clean up, a second Ctrl+C kills it)");
        _ = Task.Run(async () =>
        {
            using var late = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(late.Token);
            }
            catch (OperationCanceledException)
            {
                if (Kill(process))
                {
                    Log.Warning($"  killed: {description} (still running {grace.TotalSeconds:0} s after SIGTERM)");
                }
            }
            catch (InvalidOperationException) { /* disposed: it exited */ }
        });
    }

    private static ProcessResult Execute(string fileName, IEnumerable<string> arguments, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment, bool capture, CancellationToken cancellationToken, Action<string?>? lines = null,
        TimeSpan? stopGrace = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = capture,
            RedirectStandardError = capture,
            RedirectStandardInput = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var description = $"{Path.GetFileName(fileName)} {string.Join(' ', info.ArgumentList)}".Trim();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ToolFailedException($"Could not start '{fileName}': {e.Message}. Is it installed and on PATH?", -1);
        }
        Running[process] = new Tool(description, stopGrace);
        try
        {
            var output = !capture ? Task.FromResult("") : lines is null ? process.StandardOutput.ReadToEndAsync(CancellationToken.None) : Pump(process.StandardOutput, lines);
            var error = !capture ? Task.FromResult("") : lines is null ? process.StandardError.ReadToEndAsync(CancellationToken.None) : Pump(process.StandardError, lines);
            using (cancellationToken.Register(() =>
            {
                if (stopGrace is { } grace)
                {
                    Stop(process, description, grace);
                }
                else
                {
                    Kill(process);
                }
            }))
            {
                process.WaitForExit();
            }
            cancellationToken.ThrowIfCancellationRequested();
            return new ProcessResult(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
        finally
        {
            Running.TryRemove(process, out _);
        }
    }

    /// <summary>Hands each line of a stream to <paramref name="lines"/> as it arrives; the text itself is not kept.</summary>
    private static async Task<string> Pump(StreamReader reader, Action<string?> lines)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lines(line);
        }

        return "";
    }
}

/// <summary>A tool the build ran failed; the message says which and how.</summary>
public sealed class ToolFailedException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
