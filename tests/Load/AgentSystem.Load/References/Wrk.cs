using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AgentSystem.Build.Engine;
using AgentSystem.Load.Reports;

namespace AgentSystem.Load.References;

/// <summary>wrk (Debian's package) against a trivial endpoint of the same server, in the same run: the HTTP stack's own limit here.</summary>
internal static partial class Wrk
{
    public static string Name(int connections) => $"wrk /healthz -c{connections.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Null when wrk is not on PATH.</summary>
    public static async Task<ReferenceResult?> RunAsync(Uri url, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (Tools.Find("wrk") is not { } wrk)
        {
            return null;
        }

        var threads = Math.Max(1, Math.Min(Environment.ProcessorCount, connections));
        var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-t", I(threads), "-c", I(connections), "-d", $"{Math.Max(1, (int)duration.TotalSeconds)}s", "--latency", url.ToString() })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk did not start.");
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var rps = RequestsPerSecond().Match(output);
        if (process.ExitCode != 0 || !rps.Success)
        {
            throw new InvalidOperationException($"wrk failed (exit {process.ExitCode}): {output} {await error}");
        }

        return new ReferenceResult(Name(connections), $"GET {url.AbsolutePath}, {threads} threads", connections, 1,
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture), Percentile(output, "50%"), Percentile(output, "99%"),
            CommandLine: ShellCommand.Of(info.FileName, info.ArgumentList));
    }

    /// <summary>A line of wrk's latency distribution ("     99%    2.31ms"), in milliseconds.</summary>
    internal static double? Percentile(string output, string label)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(label)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline, TimeSpan.FromSeconds(1));
        if (!match.Success)
        {
            return null;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)", RegexOptions.None, 1000)]
    private static partial Regex RequestsPerSecond();

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Command-line tools found on PATH.</summary>
internal static class Tools
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
}
