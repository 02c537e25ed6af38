using System.Diagnostics;

namespace AgentSystem.Build.Engine;

/// <summary>
/// A long-running child (a service started by the Dev target): its output is prefixed with its name, and it is killed
/// with its children on dispose or when the build is cancelled.
/// </summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;

    public string Name { get; }

    private BackgroundProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

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
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var prefix = $"[{name}] ";
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Log.Info(prefix + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log.Warning(prefix + e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new ToolFailedException($"Could not start {name} ('{fileName}'): {e.Message}", -1);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        ProcessRunner.Track(process, name);
        return new BackgroundProcess(name, process);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { /* never started or already gone */ }
        ProcessRunner.Untrack(_process);
        _process.Dispose();
    }
}
