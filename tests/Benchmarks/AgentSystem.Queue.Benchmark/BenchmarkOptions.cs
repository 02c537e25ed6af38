using System.Globalization;

namespace AgentSystem.Queue.Benchmark;

/// <summary>The command line; Redis from <c>--redis</c>, else <c>Redis__Configuration</c> as the services read it.</summary>
internal sealed record BenchmarkOptions(string Redis, int Jobs, int Clients, IReadOnlyList<int> Batches, int Runs, string? ReferenceImage, string Docker)
{
    public const string Usage = """
        usage: AgentSystem.Queue.Benchmark [--redis CONFIGURATION] [--jobs 50000] [--clients 50] [--batches 1,16] [--runs 3]
                                           [--reference-image IMAGE] [--docker docker]
          --redis            a StackExchange.Redis connection string (default: the Redis__Configuration variable)
          --reference-image  an image with redis-benchmark, run with host networking when redis-benchmark is not on PATH
        """;

    /// <summary>Keys of their own, so a shared Redis is left as it was (every list and set is empty again after a cycle).</summary>
    public string Prefix { get; } = $"agentsystem-bench:{Guid.NewGuid():N}:";

    public static BenchmarkOptions? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                return null;
            }

            values[args[i][2..]] = args[i + 1];
        }

        var redis = values.GetValueOrDefault("redis") ?? Environment.GetEnvironmentVariable("Redis__Configuration");
        int Number(string name, int fallback) => values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        var batches = values.TryGetValue("batches", out var list)
            ? list.Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray()
            : [1, 16];
        var known = new[] { "redis", "jobs", "clients", "batches", "runs", "reference-image", "docker" };
        if (string.IsNullOrWhiteSpace(redis) || values.Keys.Any(k => !known.Contains(k)))
        {
            return null;
        }

        return new BenchmarkOptions(redis, Number("jobs", 50_000), Number("clients", 50), batches, Number("runs", 3),
            values.GetValueOrDefault("reference-image"), values.GetValueOrDefault("docker") ?? "docker");
    }
}
