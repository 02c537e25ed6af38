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
            using var response = await SendAsync(upstream.HttpVersion, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, response.StatusCode == HttpStatusCode.Unauthorized
                    ? $"{upstream.HealthUri} refuses the gateway's internal key (401): {InternalKeyOptions.SectionName}:Key must be the one the services have."
                    : $"{upstream.HealthUri} answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException error) when (upstream.HttpVersion.Major == 2 && Http2Refused(error))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, await AnswersHttp11Async(cancellationToken)
                ? $"{upstream.HealthUri} answers HTTP/1.1, not HTTP/2, all the gateway speaks to the {upstream.Name}: is its port the {upstream.Name}'s {Http2Endpoints.Key}, not one of its Urls?"
                : $"{upstream.HealthUri} closed the connection before an HTTP/2 handshake.", error);
        }
        catch (HttpRequestException error)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, error.HttpRequestError == HttpRequestError.HttpProtocolError
                ? $"{upstream.HealthUri} does not answer {upstream.Protocol}."
                : $"{upstream.HealthUri} is unreachable.", error);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Version version, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, upstream.HealthUri) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        return await clients.CreateClient(ClientName).SendAsync(request, cancellationToken);
    }

    // An HTTP/1.1 server answers the HTTP/2 preface with GOAWAY (HTTP_1_1_REQUIRED), a protocol error; when that GOAWAY
    // comes before the client's handshake is done (about 1 in 100 on a busy machine), SocketsHttpHandler reports "did not
    // complete the HTTP/2 handshake" as Unknown, with no inner exception, as it does for any server that closes a new
    // connection at once. One HTTP/1.1 request tells the wrong port from the rest.
    private static bool Http2Refused(HttpRequestException error) =>
        error.HttpRequestError == HttpRequestError.HttpProtocolError || error is { HttpRequestError: HttpRequestError.Unknown, InnerException: null };

    private async Task<bool> AnswersHttp11Async(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(HttpVersion.Version11, cancellationToken);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
