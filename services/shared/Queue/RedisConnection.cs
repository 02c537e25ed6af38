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
    /// <param name="password">Set: presented instead of a password in <paramref name="configuration"/>.</param>
    public static ConnectionMultiplexer Connect(string? configuration, string? password = null)
    {
        if (string.IsNullOrWhiteSpace(configuration))
        {
            throw new InvalidOperationException(MissingMessage);
        }

        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        if (!string.IsNullOrEmpty(password))
        {
            options.Password = password;
        }

        return ConnectionMultiplexer.Connect(options);
    }
}
