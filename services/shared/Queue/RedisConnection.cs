using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace AgentSystem.Queue;

/// <summary>Creates the one multiplexer a process shares.</summary>
public static class RedisConnection
{
    internal static readonly string MissingMessage =
        $"{QueueServiceExtensions.RedisConfigurationKey} is not set: give the Redis connection string, e.g. "
        + "Redis__Configuration=localhost:6379 in the environment or \"Redis\": { \"Configuration\": \"localhost:6379\" } in appsettings.json.";

    /// <summary>
    /// Connects with abortConnect=false, so a process starts while Redis is down and survives a Redis restart
    /// (the multiplexer reconnects in the background and re-subscribes its channels).
    /// </summary>
    public static ConnectionMultiplexer Connect(RedisConnectionOptions redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        if (string.IsNullOrWhiteSpace(redis.Configuration))
        {
            throw new InvalidOperationException(MissingMessage);
        }

        var options = redis.ToConfigurationOptions();
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }
}
