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

    /// <summary>The most of an event written to the response before a flush waits for the client to take it.</summary>
    public const int SliceBytes = 64 * 1024;

    /// <summary>
    /// Writes one event's parts and flushes. Kestrel copies what it is given into the stream's own buffers, so a large
    /// part written at once stayed there, a copy per stream, for as long as its client did not read (helper-92: 80
    /// streams of a 1 MB task that read nothing took the orchestrator 100 MB); in slices of <see cref="SliceBytes"/>,
    /// each flushed before the next, a stream holds about one slice however large the event.
    /// </summary>
    public static async Task WriteAsync(Stream body, IReadOnlyList<byte[]> parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(parts);
        var unflushed = 0;
        foreach (var part in parts)
        {
            for (var offset = 0; offset < part.Length; )
            {
                if (unflushed == SliceBytes)
                {
                    await body.FlushAsync(cancellationToken);
                    unflushed = 0;
                }

                var length = Math.Min(part.Length - offset, SliceBytes - unflushed);
                await body.WriteAsync(part.AsMemory(offset, length), cancellationToken);
                (offset, unflushed) = (offset + length, unflushed + length);
            }
        }

        await body.FlushAsync(cancellationToken);
    }
}
