using System.Net;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// Ready when the upstream's <see cref="InternalKeyExtensions.CheckPath"/> answers 2xx within the registration's
/// timeout. Its client presents the internal key, and the upstream answers that path only with the key it requires: a
/// gateway without the services' key, or with another, never becomes ready, rather than answering every request with
/// the services' 401.
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
            using var request = new HttpRequestMessage(HttpMethod.Get, upstream.HealthUri)
            {
                Version = upstream.HttpVersion,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await clients.CreateClient(ClientName).SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, response.StatusCode == HttpStatusCode.Unauthorized
                    ? $"{upstream.HealthUri} refuses the gateway's internal key (401): {InternalKeyOptions.SectionName}:Key must be the one the services have."
                    : $"{upstream.HealthUri} answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException error)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, Unreachable(error), error);
        }
    }

    // An HTTP/1.1 server answers the HTTP/2 preface with GOAWAY (HTTP_1_1_REQUIRED), a protocol error; when that GOAWAY
    // comes before the client's handshake is done (about 1 in 100 on a busy machine), SocketsHttpHandler reports "did not
    // complete the HTTP/2 handshake" as Unknown, with no inner exception. Both mean the wrong port.
    private string Unreachable(HttpRequestException error) => error.HttpRequestError switch
    {
        HttpRequestError.HttpProtocolError when upstream.HttpVersion.Major == 2 => NotHttp2(),
        HttpRequestError.Unknown when upstream.HttpVersion.Major == 2 && error.InnerException is null => NotHttp2(),
        HttpRequestError.HttpProtocolError => $"{upstream.HealthUri} does not answer {upstream.Protocol}.",
        _ => $"{upstream.HealthUri} is unreachable.",
    };

    private string NotHttp2() =>
        $"{upstream.HealthUri} does not answer HTTP/2, all the gateway speaks to the {upstream.Name}: is its port the {upstream.Name}'s {Http2Endpoints.Key}, not one of its Urls?";
}
