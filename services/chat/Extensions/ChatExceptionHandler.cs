using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentSystem.Chat.Extensions;

/// <summary>
/// A database failure is a 503, logged, rather than the shared handler's 500 (malformed requests are
/// ServiceDefaults' BadRequestExceptionHandler).
/// </summary>
public sealed partial class ChatExceptionHandler(ILogger<ChatExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        switch (exception)
        {
            case DbException or TimeoutException:
                LogStoreFailed(logger, exception);
                await TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The conversation store is unavailable").ExecuteAsync(httpContext);
                return true;
            default:
                return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The conversation store failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception error);
}
