using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AgentSystem.Gateway.Security;

/// <summary>The configured API keys, compared in constant time (as SHA-256 digests, so a key's length does not leak either).</summary>
public sealed class ApiKeyRing(IOptions<GatewayOptions> options)
{
    private readonly byte[][] _digests = [.. options.Value.ApiKeys.Where(key => !string.IsNullOrWhiteSpace(key)).Select(Digest)];

    /// <summary>A name for the matching key ("key-0", ...) for rate limiting and logs, never the key; null when none matches.</summary>
    public string? Identify(string presented)
    {
        var digest = Digest(presented);
        var match = -1;
        for (var i = 0; i < _digests.Length; i++)
        {
            // No early exit: every request costs the same whichever key (if any) it carries.
            match = CryptographicOperations.FixedTimeEquals(digest, _digests[i]) ? i : match;
        }

        return match < 0 ? null : $"key-{match}";
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>Authenticates <c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>; challenges with a 401 ProblemDetails.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (PresentedKey() is not { } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Identify(presented) is not { } name)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
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
