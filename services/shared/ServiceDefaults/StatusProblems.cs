using Microsoft.AspNetCore.Http;

namespace AgentSystem.ServiceDefaults;

/// <summary>The bare 404 and 405 of routing (written as ProblemDetails by the status code pages) say what was asked.</summary>
public static class StatusProblems
{
    public static void Explain(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
        {
            return;
        }

        var request = context.HttpContext.Request;
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => $"Nothing is at {request.Method} {request.Path}.",
            StatusCodes.Status405MethodNotAllowed => context.HttpContext.Response.Headers.Allow is { Count: > 0 } allow
                ? $"{request.Path} does not take {request.Method}; it takes {allow}."
                : $"{request.Path} does not take {request.Method}.",
            _ => null,
        };
    }
}
