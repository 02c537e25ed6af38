using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSystem.Gateway.Proxy;

/// <summary>Ready when the upstream's <c>/healthz</c> answers 2xx within the registration's timeout.</summary>
public sealed class UpstreamHealthCheck(IHttpClientFactory clients, Upstream upstream) : IHealthCheck
{
    public const string ClientName = "upstream-health";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(upstream.HealthUri, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"{upstream.HealthUri} answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException error)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{upstream.HealthUri} is unreachable.", error);
        }
    }
}
