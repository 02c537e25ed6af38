using System.Security.Cryptography;
using System.Text;
using AgentSystem.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Section "Internal": the key the gateway and the worker present to the services behind them (docs/api.md, "The
/// services behind the gateway"), so that the owner and client the gateway names are believed only from them. The
/// orchestrator and chat refuse a request without it; unset, they answer whoever reaches them, as before.
/// </summary>
public sealed class InternalKeyOptions
{
    public const string SectionName = "Internal";

    public const int MinLength = KeyLength.Min;

    public const int MaxLength = 256;

    /// <summary>Sent by the gateway and the worker; required by the orchestrator and chat. Null or empty: none.</summary>
    public string? Key { get; set; }

    /// <summary>Accepted besides <see cref="Key"/> while a new key is rolled out (docs/api.md says the steps).</summary>
    public string? AlsoAccepted { get; set; }

    public bool IsSet => !string.IsNullOrEmpty(Key);

    /// <summary>The keys a service takes: <see cref="Key"/> and <see cref="AlsoAccepted"/>, those set.</summary>
    public IEnumerable<string> AcceptedKeys => new[] { Key, AlsoAccepted }.OfType<string>().Where(key => key.Length > 0);
}

/// <summary>Both keys at least <see cref="InternalKeyOptions.MinLength"/> visible ASCII characters; a second key only beside a first.</summary>
public sealed class InternalKeyValidator : IValidateOptions<InternalKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, InternalKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        foreach (var (setting, value) in new[] { (nameof(options.Key), options.Key), (nameof(options.AlsoAccepted), options.AlsoAccepted) })
        {
            if (!string.IsNullOrEmpty(value) && !IsUsable(value))
            {
                problems.Add($"{InternalKeyOptions.SectionName}:{setting} must be {InternalKeyOptions.MinLength} to {InternalKeyOptions.MaxLength} visible ASCII characters (no spaces): it is sent in a header.");
            }
        }

        if (!options.IsSet && !string.IsNullOrEmpty(options.AlsoAccepted))
        {
            problems.Add($"{InternalKeyOptions.SectionName}:AlsoAccepted is set without {InternalKeyOptions.SectionName}:Key: set the key the services send and require too.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static bool IsUsable(string value) =>
        value.Length is >= InternalKeyOptions.MinLength and <= InternalKeyOptions.MaxLength && value.All(c => c is > ' ' and <= '~');
}

/// <summary>On an endpoint the kubelet probes: answered without the internal key (never with a wrong one).</summary>
public sealed class ProbeWithoutInternalKey
{
    public static readonly ProbeWithoutInternalKey Instance = new();

    private ProbeWithoutInternalKey()
    {
    }
}

/// <summary>
/// Refuses, with 401, a request that does not carry an accepted <see cref="InternalKeyOptions.Key"/>: any request
/// with a wrong key, and any without one but the probes' (<see cref="ProbeWithoutInternalKey"/>). Keys are compared by
/// their SHA-256, in constant time.
/// </summary>
public sealed class InternalKeyMiddleware(RequestDelegate next, IOptions<InternalKeyOptions> options)
{
    private readonly byte[][] _accepted = [.. options.Value.AcceptedKeys.Select(key =>
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(key, hash);
        return hash;
    })];

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var presented = context.Request.Headers[InternalKey.HeaderName];
        var probe = context.GetEndpoint()?.Metadata.GetMetadata<ProbeWithoutInternalKey>() is not null;
        if (_accepted.Length == 0 || (presented.Count == 0 && probe) || (presented.Count == 1 && Accepts(presented[0]!)))
        {
            return next(context);
        }

        var detail = presented.Count == 0
            ? $"This service answers the gateway and the worker, which send {InternalKey.HeaderName} (the setting {InternalKeyOptions.SectionName}:Key); the request has none."
            : $"The {InternalKey.HeaderName} header does not match this service's {InternalKeyOptions.SectionName}:Key.";
        context.Response.Headers[InternalKey.RefusedHeaderName] = "1";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The request is not from the gateway or the worker", detail: detail)
            .ExecuteAsync(context);
    }

    private bool Accepts(string presented)
    {
        if (presented.Length > InternalKeyOptions.MaxLength)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(presented, hash);
        var accepted = false;
        foreach (var key in _accepted)
        {
            accepted |= CryptographicOperations.FixedTimeEquals(hash, key);
        }

        return accepted;
    }

    // On every request: on the stack (a key is at most 256 characters; a longer one is refused before).
    private static void Hash(string key, Span<byte> hash)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(InternalKeyOptions.MaxLength)];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], hash);
    }
}

/// <summary>
/// Says at start, outside Development, what leaves the orchestrator and chat open to callers past the gateway: no key,
/// or one of the repository's development values (Compose's default, the Kubernetes base's), which begin
/// <see cref="DevelopmentValues.Prefix"/>.
/// </summary>
public sealed partial class InternalKeyAudit(IOptions<InternalKeyOptions> options, IHostEnvironment environment, ILogger<InternalKeyAudit> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!environment.IsDevelopment())
        {
            if (!settings.IsSet)
            {
                LogUnset(logger);
            }
            else if (settings.AcceptedKeys.Any(DevelopmentValues.Is))
            {
                LogDevelopmentValue(logger);
            }
        }

        if (!string.IsNullOrEmpty(settings.AlsoAccepted))
        {
            LogRotating(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Internal:Key is not set: the orchestrator and chat cannot tell the gateway and the workers from anyone else who reaches them (docs/api.md)")]
    private static partial void LogUnset(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Internal:Key or Internal:AlsoAccepted is a development value of the repository's (dev-only-...): whoever has read it can call the orchestrator and chat past the gateway; set a secret of your own")]
    private static partial void LogDevelopmentValue(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Internal:AlsoAccepted is set: a second key is taken while the key changes; remove it once every service has the new one")]
    private static partial void LogRotating(ILogger logger);
}

public static class InternalKeyExtensions
{
    /// <summary>
    /// Answered (204) only with the key, where one is set: what the gateway's readiness asks, so that a gateway without
    /// the services' key, or with another, never becomes ready (the probes' paths answer without one).
    /// </summary>
    public const string CheckPath = "/healthz/internal-key";

    /// <summary>Binds and validates section "Internal" (every service: the gateway and the worker send the key, the others check it).</summary>
    public static IHostApplicationBuilder AddInternalKey(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<InternalKeyOptions>().Bind(builder.Configuration.GetSection(InternalKeyOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InternalKeyOptions>, InternalKeyValidator>();
        builder.Services.AddHostedService<InternalKeyAudit>();
        return builder;
    }

    /// <summary>
    /// For a service behind the gateway: every request but the probes' must carry the internal key, when one is set,
    /// and <see cref="CheckPath"/> says whether a caller's key is taken.
    /// </summary>
    public static WebApplication UseInternalKey(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<InternalKeyMiddleware>();
        app.MapGet(CheckPath, static () => TypedResults.NoContent()).ExcludeFromDescription();
        return app;
    }

    /// <summary>A client of the orchestrator or chat presents the key on each request, when one is set.</summary>
    public static IHttpClientBuilder AddInternalKey(this IHttpClientBuilder client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.AddHttpMessageHandler(static services => new InternalKeyHandler(services.GetRequiredService<IOptions<InternalKeyOptions>>()));
    }

    /// <summary>
    /// Puts this service's key on a request to a service behind the gateway, when one is set, in place of any value the
    /// request had: a caller's, proxied by the gateway, goes nowhere, and a message sent again (a retry) does not carry
    /// two values, which would be refused.
    /// </summary>
    public static void AddInternalKey(this HttpRequestMessage request, InternalKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        request.Headers.Remove(InternalKey.HeaderName);
        if (options.IsSet)
        {
            request.Headers.Add(InternalKey.HeaderName, options.Key);
        }
    }
}

/// <summary>What <see cref="InternalKeyExtensions.AddInternalKey(IHttpClientBuilder)"/> puts in a client's pipeline.</summary>
public sealed class InternalKeyHandler(IOptions<InternalKeyOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.AddInternalKey(options.Value);
        return base.SendAsync(request, cancellationToken);
    }
}
