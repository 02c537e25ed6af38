using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// Authenticates <c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>; challenges with a 401 ProblemDetails, and
/// counts that failure against the client's address (<see cref="AuthFailureLimiter"/>). An address with too many
/// failures is refused with 429 and Retry-After before its key is looked at, so it cannot go on guessing.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys, AuthFailureLimiter failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    private Outcome _outcome;
    private TimeSpan _retryAfter;

    private enum Outcome
    {
        None,
        WrongKey,
        Throttled,
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (PresentedKey() is not { } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (failures.RetryAfter(Context.Connection.RemoteIpAddress) is { } wait)
        {
            (_outcome, _retryAfter) = (Outcome.Throttled, wait);
            return Task.FromResult(AuthenticateResult.Fail("Too many failed API keys from this address."));
        }

        if (keys.Identify(presented) is not { } name)
        {
            _outcome = Outcome.WrongKey;
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_outcome == Outcome.Throttled)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(_retryAfter.TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many failed API keys",
                detail: $"This address sent too many wrong API keys; retry after {seconds} s.",
                type: ClientLimits.TooManyRequestsType).ExecuteAsync(Context);
        }

        // Only a key that was sent and refused counts: a request without one guesses nothing.
        if (_outcome == Outcome.WrongKey)
        {
            failures.Failed(Context.Connection.RemoteIpAddress);
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "A valid API key is required",
            detail: $"Send it as '{HeaderName}: KEY' or 'Authorization: Bearer KEY'.").ExecuteAsync(Context);
    }

    private string? PresentedKey()
    {
        if (Request.Headers[HeaderName] is [{ Length: > 0 } key])
        {
            return key;
        }

        var authorization = Request.Headers[HeaderNames.Authorization].ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7 ? authorization[7..].Trim() : null;
    }
}
