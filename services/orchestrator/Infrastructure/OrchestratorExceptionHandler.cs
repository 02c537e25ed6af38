using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentSystem.Orchestrator.Infrastructure;

/// <summary>
/// Exceptions with a better answer than the shared handler's 500: a malformed request (minimal APIs throw
/// BadHttpRequestException) keeps its 4xx with the reason; PostgreSQL unreachable or failing is a 503, logged.
/// </summary>
public sealed partial class OrchestratorExceptionHandler(ILogger<OrchestratorExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        switch (exception)
        {
            case BadHttpRequestException badRequest:
                await TypedResults.Problem(statusCode: badRequest.StatusCode, title: "The request is malformed", detail: badRequest.Message)
                    .ExecuteAsync(httpContext);
                return true;
            case DbException or TimeoutException or SocketException:
                LogStoreFailed(logger, exception);
                await TypedResults.Problem(
                        statusCode: StatusCodes.Status503ServiceUnavailable,
                        title: "The task store is unavailable",
                        detail: "PostgreSQL did not answer; nothing was changed by this request. Try again shortly.")
                    .ExecuteAsync(httpContext);
                return true;
            default:
                return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The task store failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception error);
}
