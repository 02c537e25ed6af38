using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Kestrel's request limits (413 body too large) and malformed requests (minimal APIs throw BadHttpRequestException,
/// which the shared handler would turn into a 500) as ProblemDetails with their own status and reason, in every
/// service, worded for the client: no .NET type names.
/// </summary>
public sealed partial class BadRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large" : "The request is malformed";
        await TypedResults.Problem(statusCode: badRequest.StatusCode, title: title, detail: Describe(badRequest)).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>
    /// The framework's reason without the handler's parameter types: <c>Failed to read parameter "ChatRequest request"
    /// ...</c> becomes <c>Failed to read parameter 'request' ...</c>; a JSON failure says so in JSON's terms.
    /// </summary>
    public static string Describe(BadHttpRequestException error)
    {
        ArgumentNullException.ThrowIfNull(error);

        return error.InnerException is JsonException
            ? "The request body is not valid JSON, or a value in it has the wrong JSON type."
            : TypedParameter().Replace(error.Message, "parameter '$1'");
    }

    [GeneratedRegex(@"parameter ""(?:[^""\s]+\s)?([^""]+)""")]
    private static partial Regex TypedParameter();
}
