using AgentSystem.Contracts;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// Says at start, outside Development, which API keys are one of the repository's development values (the Kubernetes
/// base's <c>dev-only-...</c>): whoever has read the repository can use them. By name, never the key.
/// </summary>
public sealed partial class ApiKeyAudit(IOptions<GatewayOptions> options, IHostEnvironment environment, ILogger<ApiKeyAudit> logger) : IHostedService
{
    /// <summary>The names of the keys whose value is a development one.</summary>
    public static IReadOnlyList<string> DevelopmentKeys(GatewayOptions options) =>
        [.. ApiKeyRing.Configured(options).Where(key => DevelopmentValues.Is(key.Key)).Select(key => key.Name)];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() && DevelopmentKeys(options.Value) is { Count: > 0 } names)
        {
            LogDevelopmentKeys(logger, string.Join(", ", names));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The API keys {Names} are development values of the repository's (dev-only-...): whoever has read it can use them; set keys of your own")]
    private static partial void LogDevelopmentKeys(ILogger logger, string names);
}
