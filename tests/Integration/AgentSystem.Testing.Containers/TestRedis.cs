using Microsoft.Extensions.Logging.Abstractions;
using Testcontainers.Redis;

namespace AgentSystem.Testing.Containers;

/// <summary>Redis for tests on Testcontainers' module: the image from the catalog, no persistence, the port on loopback.</summary>
public static class TestRedis
{
    /// <summary>
    /// Arguments for redis-server (the official image and ours pass arguments starting with '-' to it). No snapshots, no
    /// AOF. Protected mode off: connections through Docker's port proxy come from the bridge gateway, not loopback.
    /// </summary>
    public static readonly IReadOnlyList<string> ServerArguments = ["--protected-mode", "no", "--save", "", "--appendonly", "no"];

    /// <summary>With AOF in /data, for tests that kill Redis and start it again on its data.</summary>
    public static readonly IReadOnlyList<string> AppendOnlyArguments = ["--protected-mode", "no", "--save", "", "--appendonly", "yes", "--dir", "/data"];

    /// <summary>What the wait (<see cref="RedisPing"/>) checks, named in a start failure.</summary>
    public const string Wait = "PING answered PONG on the published port";

    /// <param name="serverArguments">Instead of <see cref="ServerArguments"/>.</param>
    public static RedisBuilder Builder(params string[] serverArguments) =>
        new RedisBuilder(TestImages.Redis)
            .WithCommand(serverArguments.Length > 0 ? serverArguments : [.. ServerArguments])
            .WithWaitStrategy(DotNet.Testcontainers.Builders.Wait.ForUnixContainer().AddCustomWaitStrategy(new RedisPing()))
            .WithCreateParameterModifier(parameters =>
            {
                Loopback.Bind(parameters);
                // Stopping is killing: SIGKILL follows SIGTERM at once, before Redis writes anything more (a crash, for restart tests).
                parameters.StopTimeout = TimeSpan.Zero;
            })
            .WithLogger(NullLogger.Instance)
            .WithSessionCleanUp();

    public static Task<RedisContainer> StartAsync(RedisBuilder builder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return ContainerStart.StartAsync(builder.Build(), Wait, cancellationToken);
    }

    /// <summary>
    /// Kills Redis (SIGKILL: whatever it had not written to its AOF is lost, as in a crash) and starts the same container
    /// again on its data; Testcontainers waits for PING again. The engine publishes it on a new port.
    /// </summary>
    public static async Task KillAndRestartAsync(RedisContainer redis, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        await redis.StopAsync(cancellationToken).ConfigureAwait(false);
        await redis.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One command through redis-cli inside the container (housekeeping; tests use their real client): its reply, array items one per line.</summary>
    public static async Task<string> ExecuteAsync(RedisContainer redis, int database, params string[] command)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var result = await redis.ExecAsync(["redis-cli", "-n", database.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command]).ConfigureAwait(false);
        return result.ExitCode == 0
            ? result.Stdout.TrimEnd('\n')
            : throw new InvalidOperationException($"redis-cli {string.Join(' ', command)} exited with {result.ExitCode}: {result.Stdout}{result.Stderr}");
    }
}
