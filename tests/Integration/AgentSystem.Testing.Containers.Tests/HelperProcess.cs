using System.Diagnostics;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>This test assembly run as a child process in one of <see cref="Program"/>'s modes.</summary>
internal sealed class HelperProcess : IDisposable
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;

    private HelperProcess(Process process) => this._process = process;

    public int Id => _process.Id;

    public static HelperProcess Start(string mode)
    {
        var start = new ProcessStartInfo(DotnetHost(), [typeof(Program).Assembly.Location, mode])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        // Drain stderr so a chatty child never blocks on a full pipe.
        _ = process.StandardError.ReadToEndAsync();
        return new HelperProcess(process);
    }

    /// <summary>The first stdout line starting with the prefix, split on spaces (prefix removed).</summary>
    public async Task<string[]> ReadLineAsync(string prefix)
    {
        using var timeout = new CancellationTokenSource(LineTimeout);
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(prefix + " ", StringComparison.Ordinal))
            {
                return line[(prefix.Length + 1)..].Split(' ');
            }
        }

        throw new InvalidOperationException($"The helper process ended without printing '{prefix} ...' (exit code {(_process.HasExited ? _process.ExitCode : -1)}).");
    }

    /// <summary>SIGKILL, as an out-of-memory kill or a cancelled CI job would do: no exit handler runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await WaitForExitAsync();
    }

    private async Task WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(LineTimeout);
        await _process.WaitForExitAsync(timeout.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static string DotnetHost()
    {
        // dotnet test sets DOTNET_HOST_PATH; the test host itself usually runs under the same dotnet.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
