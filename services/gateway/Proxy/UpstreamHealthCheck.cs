using System.Net;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// Ready when the upstream's <c>/healthz</c> answers 2xx within the registration's timeout. Its client presents the
/// internal key, which the upstream refuses when it is not the one it requires: a gateway whose key the services do
/// not take never becomes ready, rather than answering every request with the services' 401.
/// </summary>
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
                : new HealthCheckResult(context.Registration.FailureStatus, response.StatusCode == HttpStatusCode.Unauthorized
                    ? $"{upstream.HealthUri} refuses the gateway's {InternalKeyOptions.SectionName}:Key (401)."
                    : $"{upstream.HealthUri} answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException error)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{upstream.HealthUri} is unreachable.", error);
        }
    }
}
