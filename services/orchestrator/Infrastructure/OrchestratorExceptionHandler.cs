using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentSystem.Orchestrator.Infrastructure;

/// <summary>
/// PostgreSQL unreachable or failing is a 503, logged, rather than the shared handler's 500 (malformed requests
/// are ServiceDefaults' BadRequestExceptionHandler).
/// </summary>
public sealed partial class OrchestratorExceptionHandler(ILogger<OrchestratorExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        switch (exception)
        {
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
