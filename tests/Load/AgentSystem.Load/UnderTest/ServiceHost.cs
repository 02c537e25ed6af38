using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentSystem.Testing.Containers;

namespace AgentSystem.Load.UnderTest;

/// <summary>
/// A service of the system under test, run from its Release build as its own process, as a container would run it. All
/// it prints goes to its log file (restarts appended), so that a failed phase can be read afterwards; the last lines are
/// also kept for a failure to start.
/// </summary>
internal sealed class ServiceHost : IAsyncDisposable
{
    private const int KeptLines = 100;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ProcessStartInfo _startInfo;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();

    /// <summary>
    /// Held while the process is swapped or disposed: the CPU sampler and the compiler watch read its id from other
    /// threads, and one that read a restarted worker's disposed process ended a CI run ("No process is associated with
    /// this object").
    /// </summary>
    private readonly Lock _processGate = new();
    private Process _process;
    private bool _disposed;

    /// <summary>The harness stopped the running process itself (<see cref="Kill"/>); a new one clears it.</summary>
    private volatile bool _stopped;

    /// <summary>The running process answered its probe once: an exit after that is not a failure to start.</summary>
    private volatile bool _answered;

    private ServiceHost(string name, int port, ProcessStartInfo startInfo, string logPath)
    {
        Name = name;
        Port = port;
        LogPath = logPath;
        _startInfo = startInfo;
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        try
        {
            _process = Launch();
        }
        catch
        {
            _log.Dispose();
            throw;
        }
    }

    /// <summary>Everything the service printed, each line with the harness's time.</summary>
    public string LogPath { get; }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public int ProcessId
    {
        get
        {
            lock (_processGate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _process.Id;
            }
        }
    }

    public bool HasExited
    {
        get
        {
            lock (_processGate)
            {
                return _disposed || _process.HasExited;
            }
        }
    }

    public string RecentOutput => string.Join(System.Environment.NewLine, _output);

    /// <summary>
    /// Null while the process runs or after the harness stopped it; once it exited otherwise (a crash, an OOM kill, a
    /// <c>kill -9</c> by hand), what happened: "worker-1 (pid 5967) exited with code 137 (SIGKILL) at 21:20:13".
    /// </summary>
    public string? UnaskedExit
    {
        get
        {
            lock (_processGate)
            {
                return _disposed || _stopped || !_process.HasExited ? null : Exited();
            }
        }
    }

    private string Exited() =>
        $"{Name} (pid {_process.Id}) exited with code {_process.ExitCode}{ExitSignal(_process.ExitCode)} at {_process.ExitTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}";

    /// <summary>" (SIGKILL)" for 137: a process killed by a signal exits with 128 + its number.</summary>
    internal static string ExitSignal(int exitCode) => exitCode switch
    {
        137 => " (SIGKILL)",
        143 => " (SIGTERM)",
        134 => " (SIGABRT)",
        139 => " (SIGSEGV)",
        > 128 and < 160 => $" (signal {exitCode - 128})",
        _ => string.Empty,
    };

    /// <summary>The runtime reads generation 0's size from this variable only (no runtimeconfig knob).</summary>
    private const string GeneratorGen0Variable = "DOTNET_GCgen0size";

    public static ServiceHost Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory) =>
        Start(name, "dotnet", [dll], Path.GetDirectoryName(dll)!, environment, logDirectory);

    /// <summary><paramref name="fileName"/> with <paramref name="arguments"/> as a service (the tests start other programs).</summary>
    internal static ServiceHost Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        var port = ServicePorts.Free();
        var info = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        // The generator's small generation 0 (build/Build.Load.cs sets it for the harness) is not the services' setting:
        // they run with their own, as shipped.
        info.Environment.Remove(GeneratorGen0Variable);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        Directory.CreateDirectory(logDirectory);
        return new ServiceHost(name, port, info, Path.Combine(logDirectory, name + ".log"));
    }

    /// <summary>Waits for /healthz (the process runs) or, with <paramref name="path"/>, another probe.</summary>
    public async Task WaitHealthyAsync(HttpClient http, CancellationToken cancellationToken, string path = "/healthz")
    {
        ArgumentNullException.ThrowIfNull(http);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                // One that had answered did start (helper-139: a worker killed by hand mid-run read "exited with code
                // 137 while starting", followed by its start-up lines).
                throw new InvalidOperationException(_answered
                    ? $"{Exited()}, after it had started (its log: {LogPath})"
                    : $"{Name} exited with code {_process.ExitCode}{ExitSignal(_process.ExitCode)} while starting:{System.Environment.NewLine}{RecentOutput}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, path), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    _answered = true;
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} did not answer {path} within {StartTimeout.TotalSeconds:0} s:{System.Environment.NewLine}{RecentOutput}");
    }

    /// <summary>SIGKILL, as an OOM kill or a crashed pod: no drain, no hand-back, leases left to expire.</summary>
    public void Kill()
    {
        _stopped = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    /// <summary>SIGSTOP: the process halts where it is, its connections and leases kept, until <see cref="Resume"/>.</summary>
    public void Pause() => Send("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Send("CONT");

    private void Send(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Name} (pid {_process.Id}) exited with code {kill.ExitCode}.");
        }
    }

    /// <summary>The same command, port and environment again, after it exited or was killed.</summary>
    /// <param name="why">Said in its log beside the restart (helper-145: a kill by hand and queue-kill's read alike there).</param>
    public void Restart(string why)
    {
        Kill();
        lock (_processGate)
        {
            _process.Dispose();
            Keep($"[load] {Name} restarted: {why}");
            _process = Launch();
            (_stopped, _answered) = (false, false);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        lock (_processGate)
        {
            _disposed = true;
            _process.Dispose();
        }

        lock (_logGate)
        {
            _log.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private Process Launch()
    {
        var started = new Process { StartInfo = _startInfo };
        started.OutputDataReceived += (_, e) => Keep(e.Data);
        started.ErrorDataReceived += (_, e) => Keep(e.Data);
        started.Start();
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        return started;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            if (_log.BaseStream.CanWrite)
            {
                _log.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}");
            }
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines)
        {
            _output.TryDequeue(out _);
        }
    }
}
