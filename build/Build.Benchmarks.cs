using AgentSystem.Build.Engine;

namespace AgentSystem.Build;

partial class Build
{
    [Parameter("Redis that BenchmarkQueue measures (a StackExchange.Redis connection string); empty: a throwaway container from the redis base image")]
    readonly string? Redis;

    Target BenchmarkAffected => _ => _
        .Description("Times affected detection on generated monorepos of 250, 1000 and 2000 projects")
        .Executes(() => ProcessRunner.Run("dotnet",
            ["run", "-c", "Release", "--project", "tests/Benchmarks/AgentSystem.Affected.Benchmark", "--", "250", "1000", "2000"],
            RootDirectory, DotnetEnvironment, CancellationToken));

    Target BenchmarkQueue => _ => _
        .Description("Jobs/s of the Redis queue (enqueue, claim in batches, ack) beside redis-benchmark's LPUSH on the same server")
        .DependsOn(BaseImages)
        .Executes(() =>
        {
            string? container = null;
            try
            {
                var redis = Redis;
                if (string.IsNullOrWhiteSpace(redis))
                {
                    container = $"agentsystem-bench-redis-{Guid.NewGuid():N}"[..32];
                    redis = StartBenchmarkRedis(container);
                }
                else Log.Info("Measuring the Redis given by --redis.");

                List<string> arguments = ["run", "-c", "Release", "--project", "tests/Benchmarks/AgentSystem.Queue.Benchmark", "--", "--redis", redis];
                if (_docker is not null) arguments.AddRange(["--reference-image", BaseImageFor("redis"), "--docker", Docker.Cli]);
                ProcessRunner.Run("dotnet", arguments, RootDirectory, DotnetEnvironment, CancellationToken);
            }
            finally
            {
                if (container is not null) ProcessRunner.Capture(Docker.Cli, ["rm", "-f", container], cancellationToken: CancellationToken.None);
            }
        });

    /// <summary>A Redis of its own on a random loopback port, without persistence (the disk is not what is measured).</summary>
    string StartBenchmarkRedis(string name)
    {
        Log.Info($"Starting {name} ({BaseImageFor("redis")}) on a random 127.0.0.1 port...");
        ProcessRunner.Run(Docker.Cli, ["run", "-d", "--name", name, "-p", "127.0.0.1::6379", BaseImageFor("redis"),
            "redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], cancellationToken: CancellationToken);
        var port = ProcessRunner.Capture(Docker.Cli, ["port", name, "6379/tcp"], cancellationToken: CancellationToken).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith("127.0.0.1:", StringComparison.Ordinal))
            ?? throw new TargetFailedException($"{name} has no published port; see: docker logs {name}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ProcessRunner.Capture(Docker.Cli, ["exec", name, "redis-cli", "ping"], cancellationToken: CancellationToken).Output.Trim() != "PONG")
        {
            if (DateTime.UtcNow > deadline) throw new TargetFailedException($"Redis did not answer PING within 30 s; see: docker logs {name}");
            Thread.Sleep(100);
        }
        // A shared, loaded machine can stall one call past the client's 5 s default; the figures are about throughput.
        return port + ",asyncTimeout=30000";
    }
}
