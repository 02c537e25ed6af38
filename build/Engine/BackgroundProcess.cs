using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentSystem.Build.Engine;

/// <summary>
/// A long-running child (a service started by the Dev target): its output is prefixed with its name, and it is killed
/// with its children on dispose. Ctrl+C does not kill it at once as it does other children: its
/// <see cref="ServiceSupervisor"/> sends it SIGTERM and gives it time to drain.
/// </summary>
public sealed class BackgroundProcess : ISupervisedProcess
{
    // Every one started and not yet disposed, for a second Ctrl+C, which ends the build at once: left alone, they ran on
    // without it (a worker kept draining for 20 s, its parent gone).
    private static readonly ConcurrentDictionary<BackgroundProcess, byte> Started = new();

    private readonly Process _process;
    private readonly Lazy<Task<int>> _exited;

    public string Name { get; }

    private BackgroundProcess(string name, Process process, Task relayed)
    {
        Name = name;
        _process = process;
        _exited = new(async () =>
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await relayed.ConfigureAwait(false);   // its last lines before its exit is reported
            return process.ExitCode;
        });
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task<int> Exited => _exited.Value;

    /// <summary>SIGTERM (<see cref="ProcessRunner.Terminate"/>); where it cannot be sent, it is killed.</summary>
    public void Terminate()
    {
        if (_process.HasExited)
        {
            return;
        }

        if (OperatingSystem.IsWindows() || !ProcessRunner.Terminate(_process.Id))
        {
            Kill();
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { /* exited meanwhile */ }
    }

    public static BackgroundProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var prefix = $"[{name}] ";
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new ToolFailedException($"Could not start {name} ('{fileName}'): {e.Message}", -1);
        }

        var relayed = Task.WhenAll(
            RelayLinesAsync(process.StandardOutput, line => Log.Info(prefix + Printable(line))),
            RelayLinesAsync(process.StandardError, line => Log.Warning(prefix + Printable(line))));
        var started = new BackgroundProcess(name, process, relayed);
        Started[started] = 0;
        return started;
    }

    /// <summary>
    /// Each line of <paramref name="output"/>, ended by \n (\r\n too) only: Process's own line events also end one at a
    /// bare \r, so a service's log line holding one (a job's input) printed as two, the second under the service's
    /// prefix as if it had logged it (helper-105).
    /// </summary>
    private static async Task RelayLinesAsync(StreamReader output, Action<string> write)
    {
        var line = new StringBuilder();
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await output.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                foreach (var c in buffer.AsSpan(0, read))
                {
                    if (c != '\n')
                    {
                        line.Append(c);
                        continue;
                    }

                    if (line.Length > 0 && line[^1] == '\r')
                    {
                        line.Length--;
                    }

                    write(line.ToString());
                    line.Clear();
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            // Disposed (killed) while its output was read: what is left of it is not wanted.
            return;
        }

        if (line.Length > 0)
        {
            write(line.ToString());
        }
    }

    /// <summary>
    /// <paramref name="line"/> with its control characters but tab written as \uXXXX: a service may log what a client sent
    /// (a job's input in its failure), and an escape sequence in it would drive the terminal (helper-105).
    /// </summary>
    internal static string Printable(string line)
    {
        if (!line.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !line.AsSpan().ContainsAnyInRange('\u007f', '\u009f'))
        {
            return line;
        }

        var text = new StringBuilder(line.Length + 16);
        foreach (var c in line)
        {
            if (c != '\t' && char.IsControl(c))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    /// <summary>Kills every background process still running, with its children, without a drain; returns their names.</summary>
    public static IReadOnlyList<string> KillAll()
    {
        var killed = Started.Keys.Where(process => !process.HasExited).Select(process => process.Name).Order(StringComparer.Ordinal).ToList();
        foreach (var process in Started.Keys)
        {
            process.Kill();
        }

        return killed;
    }

    public void Dispose()
    {
        Started.TryRemove(this, out _);
        Kill();
        try
        {
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { /* never started */ }
        _process.Dispose();
    }
}
