using AgentSystem.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentSystem.ServiceDefaults;

/// <summary>Reads the API key's name the gateway sends (<see cref="Owner"/>), for the services that keep each key's things apart.</summary>
public static class OwnerHeader
{
    /// <summary>
    /// The owner, null without the header (a caller inside the cluster, who sees everything); a 400 naming the header
    /// when it is malformed. Whatever belongs to another owner is then answered as unknown (404): its id tells nothing.
    /// </summary>
    public static ProblemHttpResult? Read(HttpContext context, out string? owner)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers[Owner.HeaderName];
        owner = header.Count == 1 ? header[0] : null;
        return Owner.Validate(header) is { } error
            ? TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>(StringComparer.Ordinal) { [Owner.HeaderName] = [error] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is invalid",
                Detail = error,
            })
            : null;
    }
}
