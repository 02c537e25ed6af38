using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentSystem.Chat.Extensions;

/// <summary>
/// Exceptions with a better answer than the shared handler's 500: malformed JSON (minimal APIs throw
/// BadHttpRequestException) is a 400 saying what was wrong; a database failure is a 503, logged.
/// </summary>
public sealed partial class ChatExceptionHandler(ILogger<ChatExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        switch (exception)
        {
            case BadHttpRequestException badRequest:
                await TypedResults.Problem(statusCode: badRequest.StatusCode, title: "The request is malformed", detail: badRequest.Message).ExecuteAsync(httpContext);
                return true;
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
