using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace AgentSystem.Queue.Benchmark;

/// <summary>
/// redis-benchmark (Debian's redis-tools) against the same server by the same address, so its figures and the queue's
/// pay the same network path: from PATH, else from an image that has it, run with host networking.
/// </summary>
internal sealed class RedisBenchmark
{
    public static readonly int[] Pipelines = [1, 16];

    private readonly string fileName;
    private readonly string[] prefix;
    private readonly string[] target;

    private RedisBenchmark(string fileName, string[] prefix, string[] target, string description)
    {
        this.fileName = fileName;
        this.prefix = prefix;
        this.target = target;
        Description = description;
    }

    public string Description { get; }

    public static RedisBenchmark? Find(BenchmarkOptions options, EndPoint endpoint)
    {
        var (host, port) = endpoint switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw new InvalidOperationException($"Cannot give redis-benchmark the endpoint {endpoint}."),
        };
        var password = ConfigurationOptions.Parse(options.Redis).Password;
        string[] target = ["-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), .. password is { Length: > 0 } ? new[] { "-a", password, "--no-auth-warning" } : []];

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, "redis-benchmark")).FirstOrDefault(File.Exists);
        if (onPath is not null)
        {
            return new RedisBenchmark(onPath, [], target, $"Reference: {onPath}, LPUSH of a payload as large as a job message.");
        }

        return options.ReferenceImage is { } image
            ? new RedisBenchmark(options.Docker, ["run", "--rm", "--network", "host", "--entrypoint", "redis-benchmark", image], target,
                $"Reference: redis-benchmark from {image} (host network), LPUSH of a payload as large as a job message.")
            : null;
    }

    /// <summary>Requests per second of LPUSH key payload from <paramref name="clients"/> connections.</summary>
    public double LPush(int clients, int requests, int pipeline, string key, string payload)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in prefix.Concat(target).Concat(
            ["-c", Text(clients), "-n", Text(requests), "-P", Text(pipeline), "--csv", "LPUSH", key, payload]))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // The last line: "LPUSH key payload","rps","avg_latency_ms",...
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        var fields = last.Split("\",\"");
        return process.ExitCode == 0 && fields.Length > 1 && double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var rps)
            ? rps
            : throw new InvalidOperationException($"redis-benchmark failed (exit {process.ExitCode}): {last} {error.Result}");
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
