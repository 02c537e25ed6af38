using System.Globalization;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// YARP answers a request it could not forward with a bare status code (502, 504, or the client's fault: 400, 408,
/// 413); this middleware of the proxy pipeline writes the ProblemDetails every other error of the gateway has, and the
/// 502 for an upstream that refuses the gateway's internal key.
/// </summary>
public static partial class UpstreamProblems
{
    private static readonly object RefusalItem = new();

    public static IReverseProxyApplicationBuilder UseUpstreamProblems(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(WriteProblemAsync);
        return proxy;
    }

    private static async Task WriteProblemAsync(HttpContext context, RequestDelegate next)
    {
        var body = WatchBody(context);
        await next(context);
        var failure = context.GetForwarderErrorFeature();
        var timedOut = failure is not null && IsTheTimeout(context, failure);
        // The timeout ended a wait for the client's body: the service could not answer what it had not been sent.
        var bodyStopped = timedOut && body?.WaitedForTheClient == true;
        if (bodyStopped && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status408RequestTimeout;
        }

        if (failure is not null)
        {
            Log(context, failure, timedOut, bodyStopped);
        }

        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (context.Items.ContainsKey(RefusalItem))
        {
            await WriteRefusalAsync(context);
            return;
        }

        if (failure is null)
        {
            return;
        }

        var status = context.Response.StatusCode;
        var upstream = context.GetReverseProxyFeature().Cluster.Config.ClusterId;
        var timeout = TimeoutSeconds(context).ToString("0.###", CultureInfo.InvariantCulture);
        var (title, detail) = status switch
        {
            StatusCodes.Status504GatewayTimeout => (
                $"The {upstream} service did not answer in time",
                $"No response within {timeout} s."),
            >= StatusCodes.Status500InternalServerError => (
                $"The {upstream} service is unreachable",
                $"The gateway could not get an answer from it ({Reason(failure)})."),
            StatusCodes.Status413PayloadTooLarge => ("The request body is too large", Find<BadHttpRequestException>(failure.Exception)?.Message),
            // Kestrel's own 408 (a body slower than its minimum rate) says so; the timeout's has no words of its own.
            StatusCodes.Status408RequestTimeout => ("The request body did not arrive in time",
                Find<BadHttpRequestException>(failure.Exception)?.Message ?? $"Nothing of it came for {timeout} s."),
            _ => ("The request body could not be read", Find<BadHttpRequestException>(failure.Exception)?.Message),
        };
        await TypedResults.Problem(statusCode: status, title: title, detail: detail,
            extensions: status >= StatusCodes.Status500InternalServerError ? Naming(upstream) : null).ExecuteAsync(context);
    }

    /// <summary>
    /// The forwarder's activity timeout, whichever part noticed it: the wait for the answer (RequestTimedOut) or the body's
    /// copy to the service (RequestBodyDestination, cancelled), which YARP also answers with a 504.
    /// </summary>
    private static bool IsTheTimeout(HttpContext context, IForwarderErrorFeature failure) => failure.Error == ForwarderError.RequestTimedOut
        || (failure.Error == ForwarderError.RequestBodyDestination && !context.Response.HasStarted
            && context.Response.StatusCode == StatusCodes.Status504GatewayTimeout);

    /// <summary>The cluster's activity timeout, in seconds (Gateway:UpstreamTimeout, which Upstreams sets on every cluster).</summary>
    private static double TimeoutSeconds(HttpContext context) => context.GetReverseProxyFeature().Cluster.Config.HttpRequest?.ActivityTimeout?.TotalSeconds ?? 0;

    private static ClientBodyStream? WatchBody(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true)
        {
            return null;
        }

        // The pipe before the body is replaced: Kestrel's BodyReader then wraps the new body.
        var body = new ClientBodyStream(context.Request.BodyReader);
        context.Request.Body = body;
        return body;
    }

    // A failure of a service behind the gateway names it, so that a client tells it from the gateway's own (the web
    // page shows "Service unavailable" rather than "Gateway unreachable").
    private static Dictionary<string, object?> Naming(string upstream) => new(StringComparer.Ordinal) { ["service"] = upstream };

    /// <summary>
    /// The orchestrator and chat refuse a caller without their internal key with a 401 that says so in
    /// <see cref="InternalKey.RefusedHeaderName"/> (docs/api.md, "The services behind the gateway"): from the gateway, a
    /// fault of its configuration (a rollout that changes the key), not of the client's API key. Its body is not
    /// passed on; <see cref="WriteProblemAsync"/> answers a 502 instead, once the forwarder is done.
    /// </summary>
    public static ValueTask SuppressRefusal(ResponseTransformContext response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.ProxyResponse?.StatusCode == System.Net.HttpStatusCode.Unauthorized
            && response.ProxyResponse.Headers.Contains(InternalKey.RefusedHeaderName))
        {
            response.SuppressResponseBody = true;
            response.HttpContext.Items[RefusalItem] = true;
        }

        return ValueTask.CompletedTask;
    }

    private static async Task WriteRefusalAsync(HttpContext context)
    {
        var upstream = context.GetReverseProxyFeature().Cluster.Config.ClusterId;
        LogRefused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UpstreamProblems)), upstream);
        // The upstream's headers were copied already; none of them describes this answer.
        context.Response.Clear();
        await TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: $"The {upstream} service refuses the gateway",
            detail: "The gateway is not configured as the service expects; try again later.", extensions: Naming(upstream)).ExecuteAsync(context);
    }

    /// <summary>
    /// Every failure once, by whose it is: the service's (unreachable, broken mid-response) a warning with its exception,
    /// its silence a warning without (a cancellation's stack says nothing); the client's (it went away, or its body
    /// stopped) one debug line. Any client can make as many of them as it likes (helper-92: each was a warning with a
    /// stack trace of ~10 KB), also a body that stops when the timeout that ends it is noticed as the service's silence
    /// first (<see cref="ClientBodyStream"/>). YARP's own entry is off (appsettings.json): it said each again, with the stack.
    /// </summary>
    private static void Log(HttpContext context, IForwarderErrorFeature failure, bool timedOut, bool bodyStopped)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UpstreamProblems));
        var upstream = context.GetReverseProxyFeature().Cluster.Config.ClusterId;
        if (bodyStopped)
        {
            LogBodyStopped(logger, upstream);
        }
        else if (IsTheClients(failure.Error))
        {
            LogClientStopped(logger, upstream, failure.Error);
        }
        else if (failure.Error == ForwarderError.RequestBodyDestination && context.Response.HasStarted)
        {
            // The service answered before it read the whole body (a 415 for a large body, a 503 for a full body budget)
            // and stopped reading: its answer went out, which any client can bring about.
            LogAnsweredEarly(logger, upstream);
        }
        else if (timedOut)
        {
            LogSilent(logger, upstream, TimeoutSeconds(context));
        }
        else
        {
            LogFailed(logger, upstream, failure.Error, failure.Exception);
        }
    }

    private static bool IsTheClients(ForwarderError error) => error is ForwarderError.RequestCanceled
        or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
        or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
        or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient
        or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient;

    private static string Reason(IForwarderErrorFeature failure) =>
        Find<HttpRequestException>(failure.Exception) is { } error ? error.HttpRequestError.ToString() : failure.Error.ToString();

    private static T? Find<T>(Exception? error)
        where T : Exception
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is T found)
            {
                return found;
            }

            if (error is AggregateException { InnerExceptions: var inner })
            {
                return inner.Select(Find<T>).FirstOrDefault(found => found is not null);
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Upstream} refused the gateway's internal key (401): Internal:Key must be the one the services have")]
    private static partial void LogRefused(ILogger logger, string upstream);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to {Upstream} failed: nothing came from it for {Seconds} s")]
    private static partial void LogSilent(ILogger logger, string upstream, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to {Upstream} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string upstream, ForwarderError error, Exception? exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Upstream} answered before it read the whole request body")]
    private static partial void LogAnsweredEarly(ILogger logger, string upstream);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forwarding to {Upstream} stopped on the client's side: its body stopped coming")]
    private static partial void LogBodyStopped(ILogger logger, string upstream);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forwarding to {Upstream} stopped on the client's side: {Error}")]
    private static partial void LogClientStopped(ILogger logger, string upstream, ForwarderError error);
}
