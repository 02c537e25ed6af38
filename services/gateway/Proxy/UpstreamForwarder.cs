using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AgentSystem.Gateway.Proxy;

/// <summary>Forwards one request to an upstream and streams its answer back as it arrives (YARP's job, which cannot be restored here).</summary>
public sealed partial class UpstreamForwarder(IHttpClientFactory clients, IOptions<GatewayOptions> options, ILogger<UpstreamForwarder> logger)
{
    public const string ClientName = "upstream";

    private const int BufferSize = 16 * 1024;

    public async Task ForwardAsync(HttpContext context, Upstream upstream)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(upstream);

        var settings = options.Value;
        if (context.Request.ContentLength > settings.MaxRequestBodyBytes)
        {
            throw new BadHttpRequestException($"The request body is larger than {settings.MaxRequestBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        // HttpClient sends traceparent for the current Activity; ASP.NET Core starts one per request unless nothing listens.
        using var activity = Activity.Current is null ? StartActivity(context) : null;
        using var request = CreateRequest(context, upstream);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(settings.UpstreamTimeout);

        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (Exception error) when (Find<BadHttpRequestException>(error) is { } tooLarge)
        {
            // Kestrel's MaxRequestBodySize tripped while the body was streamed upstream: answered by the exception handler.
            ExceptionDispatchInfo.Throw(tooLarge);
            throw;
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            LogTimeout(logger, upstream.Name, settings.UpstreamTimeout);
            await TypedResults.Problem(
                statusCode: StatusCodes.Status504GatewayTimeout,
                title: $"The {upstream.Name} service did not answer in time",
                detail: $"No response within {settings.UpstreamTimeout.TotalSeconds:0.###} s.").ExecuteAsync(context);
            return;
        }
        catch (HttpRequestException error)
        {
            LogUnreachable(logger, upstream.Name, error);
            await TypedResults.Problem(
                statusCode: StatusCodes.Status502BadGateway,
                title: $"The {upstream.Name} service is unreachable",
                detail: $"The gateway could not get an answer from it ({error.HttpRequestError}).").ExecuteAsync(context);
            return;
        }

        using (response)
        {
            if (IsEventStream(response))
            {
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            }

            context.Response.StatusCode = (int)response.StatusCode;
            ProxyHeaders.CopyResponseHeaders(response, context.Response, upstream);
            try
            {
                await CopyBodyAsync(response, context, timeout.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or HttpRequestException or IOException)
            {
                // Headers are out: the only honest signal left is a broken response.
                if (!context.RequestAborted.IsCancellationRequested)
                {
                    LogBodyFailed(logger, upstream.Name, error);
                }

                context.Abort();
            }
        }
    }

    private static HttpRequestMessage CreateRequest(HttpContext context, Upstream upstream)
    {
        var path = context.Request.Path.StartsWithSegments(upstream.PublicPrefix, out var remainder) ? remainder : context.Request.Path;
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), upstream.RequestUri(path, context.Request.QueryString))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
            ?? (context.Request.ContentLength > 0 || context.Request.Headers.ContainsKey(HeaderNames.TransferEncoding));
        if (canHaveBody)
        {
            request.Content = new StreamContent(context.Request.Body, BufferSize);
        }

        ProxyHeaders.CopyRequestHeaders(context, request);
        return request;
    }

    private static async Task CopyBodyAsync(HttpResponseMessage response, HttpContext context, CancellationToken cancellationToken)
    {
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // Headers go out now, before the first byte of the body: an event stream may be quiet for a while.
        await context.Response.Body.FlushAsync(cancellationToken);

        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                // Flush every chunk: an event stream's events must reach the client as the upstream writes them.
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await context.Response.Body.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsEventStream(HttpResponseMessage response) =>
        string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    private static Activity StartActivity(HttpContext context)
    {
        var activity = new Activity("AgentSystem.Gateway.Forward");
        var headers = context.Request.Headers;
        if (ActivityContext.TryParse(headers.TraceParent, headers.TraceState, out var parent))
        {
            activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
            activity.TraceStateString = parent.TraceState;
        }

        return activity.Start();
    }

    private static T? Find<T>(Exception? error)
        where T : Exception
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is T found)
            {
                return found;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Upstream} did not answer within {Timeout}")]
    private static partial void LogTimeout(ILogger logger, string upstream, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Upstream} is unreachable")]
    private static partial void LogUnreachable(ILogger logger, string upstream, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Upstream} response body failed; the response was aborted")]
    private static partial void LogBodyFailed(ILogger logger, string upstream, Exception error);
}
