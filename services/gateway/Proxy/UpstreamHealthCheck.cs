using System.Net;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// Ready when the upstream's <see cref="InternalKeyExtensions.CheckPath"/> answers 2xx within the registration's
/// timeout. Its client presents the internal key, and the upstream answers that path only with the key it requires: a
/// gateway without the services' key, or with another, never becomes ready, rather than answering every request with
/// the services' 401. One instance per upstream (a singleton): /readyz takes no key, as probes have none, and each call
/// sent a request to every upstream, so anyone could have the gateway send them as fast as they asked (helper-92). A
/// check in flight now serves every caller meanwhile, and its result the callers of the <see cref="Fresh"/> after it
/// started.
/// </summary>
public sealed class UpstreamHealthCheck(IHttpClientFactory clients, Upstream upstream, TimeProvider time) : IHealthCheck
{
    public const string ClientName = "upstream-health";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a result is given again instead of asking the upstream anew: a probe's period is 5 s or more.</summary>
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private (long Started, Task<HealthCheckResult> Result)? _last;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        lock (_gate)
        {
            if (_last is not { } last || (last.Result.IsCompleted && time.GetElapsedTime(last.Started) >= Fresh))
            {
                // Bounded here too: a check that never ended would be shared for ever.
                last = (time.GetTimestamp(), CheckNowAsync(context.Registration.FailureStatus).WaitAsync(Timeout, time, CancellationToken.None));
                _last = last;
            }

            // One caller giving up does not cancel the check the others wait for.
            return last.Result.WaitAsync(cancellationToken);
        }
    }

    private async Task<HealthCheckResult> CheckNowAsync(HealthStatus failureStatus)
    {
        using var timeout = new CancellationTokenSource(Timeout, time);
        var cancellationToken = timeout.Token;
        try
        {
            using var response = await SendAsync(upstream.HttpVersion, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(failureStatus, response.StatusCode == HttpStatusCode.Unauthorized
                    ? $"{upstream.HealthUri} refuses the gateway's internal key (401): {InternalKeyOptions.SectionName}:Key must be the one the services have."
                    : $"{upstream.HealthUri} answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException error) when (upstream.HttpVersion.Major == 2 && Http2Refused(error))
        {
            return new HealthCheckResult(failureStatus, await AnswersHttp11Async(cancellationToken)
                ? $"{upstream.HealthUri} answers HTTP/1.1, not HTTP/2, all the gateway speaks to the {upstream.Name}: is its port the {upstream.Name}'s {Http2Endpoints.Key}, not one of its Urls?"
                : $"{upstream.HealthUri} closed the connection before an HTTP/2 handshake.", error);
        }
        catch (HttpRequestException error)
        {
            return new HealthCheckResult(failureStatus, error.HttpRequestError == HttpRequestError.HttpProtocolError
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
