using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Kestrel's request limits (413 body too large) and malformed bodies (minimal APIs throw BadHttpRequestException,
/// which the shared handler would turn into a 500) as ProblemDetails with their own status and reason, in every service.
/// </summary>
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
