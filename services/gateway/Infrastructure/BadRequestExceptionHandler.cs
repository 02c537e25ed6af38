using Microsoft.AspNetCore.Diagnostics;

namespace AgentSystem.Gateway.Infrastructure;

/// <summary>Kestrel's request limits (413 body too large, 400 malformed body) as ProblemDetails instead of an empty response.</summary>
public sealed class BadRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large" : "The request is malformed";
        await TypedResults.Problem(statusCode: badRequest.StatusCode, title: title, detail: badRequest.Message).ExecuteAsync(httpContext);
        return true;
    }
}
