using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// The bare 404 and 405 of routing (written as ProblemDetails by the status code pages) say what was asked, by the
/// path the client used: behind the gateway that is <c>X-Forwarded-Prefix</c> (the part its route removed) and ours.
/// </summary>
public static partial class StatusProblems
{
    public const string PrefixHeader = "X-Forwarded-Prefix";

    public static void Explain(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
        {
            return;
        }

        var request = context.HttpContext.Request;
        var path = PublicPath(request);
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => $"Nothing is at {request.Method} {path}.",
            StatusCodes.Status405MethodNotAllowed => context.HttpContext.Response.Headers.Allow is { Count: > 0 } allow
                ? $"{path} does not take {request.Method}; it takes {allow}."
                : $"{path} does not take {request.Method}.",
            _ => null,
        };
    }

    // Only a plain path is taken: the header is text in a message, and a client that sends its own names its own path.
    private static string PublicPath(HttpRequest request) =>
        request.Headers[PrefixHeader] is [{ } prefix] && PlainPrefix().IsMatch(prefix) ? prefix + request.Path : request.Path.ToString();

    [GeneratedRegex("^(/[A-Za-z0-9_-]+){1,4}$")]
    private static partial Regex PlainPrefix();
}
