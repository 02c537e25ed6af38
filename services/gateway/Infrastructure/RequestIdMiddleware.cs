using System.Buffers;

namespace AgentSystem.Gateway.Infrastructure;

/// <summary>
/// Keeps the client's <c>X-Request-Id</c> when it is a sane token, else makes one; it becomes the request's
/// <see cref="HttpContext.TraceIdentifier"/> (in ProblemDetails and logs), goes upstream and comes back on the response.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string HeaderName = "X-Request-Id";

    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var id = context.Request.Headers[HeaderName] is [{ } given] && IsSane(given) ? given : Guid.NewGuid().ToString("N");
        context.TraceIdentifier = id;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[HeaderName] = id;
            return Task.CompletedTask;
        });
        return next(context);
    }

    public static bool IsSane(string id) => id.Length is > 0 and <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);
}
