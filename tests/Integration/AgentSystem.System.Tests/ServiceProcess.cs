using System.Collections.Concurrent;
using System.Diagnostics;

namespace AgentSystem.SystemTests;

/// <summary>One service of the system, run as its own process the way a container would run it.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 200;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly ProcessStartInfo _startInfo;
    private readonly ConcurrentQueue<(long Number, string Line)> _output = new();
    private long _lines;
    private Process _process;

    public string Name { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The readiness path (dependencies reachable): /readyz, or /healthz for a service that has no /readyz.</summary>
    public string ReadyPath { get; }

    private ServiceProcess(string name, int port, ProcessStartInfo startInfo, string readyPath)
    {
        Name = name;
        Port = port;
        ReadyPath = readyPath;
        _startInfo = startInfo;
        _process = Launch();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the service printed, for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output.Select(o => o.Line));

    /// <summary>How many lines the service printed so far: a mark for <see cref="OutputSince"/>.</summary>
    public long OutputMark => Interlocked.Read(ref _lines);

    /// <summary>The kept lines printed after <paramref name="mark"/> (the last 200 lines at most).</summary>
    public string OutputSince(long mark) => string.Join(Environment.NewLine, _output.Where(o => o.Number > mark).Select(o => o.Line));

    public static ServiceProcess Start(string name, string fileName, IEnumerable<string> arguments, int port,
        IReadOnlyDictionary<string, string> environment, string? workingDirectory = null, string readyPath = "/readyz")
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new ServiceProcess(name, port, info, readyPath);
    }

    /// <summary>Starts the service again, same command, port and environment, after it exited (or was killed).</summary>
    public void Restart()
    {
        if (!_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} is still running.");
        }

        _process.Dispose();
        Keep($"[system test] {Name} restarted");
        _process = Launch();
    }

    private Process Launch()
    {
        var process = new Process { StartInfo = _startInfo };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async Task WaitHealthyAsync(HttpClient http)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting:{Environment.NewLine}{RecentOutput}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "/healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} did not answer /healthz on port {Port} within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{RecentOutput}");
    }

    /// <summary>Polls <see cref="ReadyPath"/> until it answers 2xx; false when the timeout passes first.</summary>
    public async Task<bool> WaitReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, ReadyPath));
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        return false;
    }

    /// <summary>SIGKILL, as a crashed pod or an OOM kill: no drain, no cleanup.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    /// <summary>SIGSTOP: the process stays, holding its connections, and does nothing until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Name} exited with {kill.ExitCode}.");
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue((Interlocked.Increment(ref _lines), line));
        while (_output.Count > KeptOutputLines)
        {
            _output.TryDequeue(out _);
        }
    }

    public ValueTask DisposeAsync()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
