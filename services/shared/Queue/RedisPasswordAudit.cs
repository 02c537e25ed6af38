using AgentSystem.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSystem.Queue;

/// <summary>
/// Says at start, outside Development, when the Redis password is one of the repository's development values (the
/// Kubernetes base's <c>dev-only-...</c>): whoever has read the repository and reaches Redis can use it.
/// </summary>
public sealed partial class RedisPasswordAudit(IOptions<RedisConnectionOptions> options, IHostEnvironment environment, ILogger<RedisPasswordAudit> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() && DevelopmentValues.Is(options.Value.EffectivePassword()))
        {
            LogDevelopmentPassword(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The Redis password is a development value of the repository's (dev-only-...): whoever has read it and reaches Redis can use it; set a password of your own")]
    private static partial void LogDevelopmentPassword(ILogger logger);
}
