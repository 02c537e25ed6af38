using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AgentSystem.ServiceDefaults;

/// <summary>What every server-sent event stream of the services starts with (chat's replies, the task events).</summary>
public static class EventStream
{
    public const string ContentType = "text/event-stream";

    /// <summary>200, the SSE content type, no caching and no buffering anywhere on the way.</summary>
    public static void Begin(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        // nginx (and the ingress controllers built on it) would buffer the stream otherwise.
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}
