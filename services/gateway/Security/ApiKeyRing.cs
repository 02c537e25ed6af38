using System.Security.Cryptography;
using System.Text;
using AgentSystem.Contracts;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// The configured API keys (<c>Gateway:ApiKeys:NAME</c>), each compared in constant time as a SHA-256 digest, so a
/// key's length does not leak either. A key's name is what limits, logs and ownership count (docs/api.md), so it comes
/// from the entry's own configuration key and never from its position: removing or blanking one entry renames no other.
/// </summary>
public sealed class ApiKeyRing(IOptions<GatewayOptions> options)
{
    private readonly (string Name, byte[] Digest)[] _keys = [.. Configured(options.Value).Select(key => (key.Name, Digest(key.Key)))];

    /// <summary>The name of the matching key ("key-0", "acme"), never the key; null when none matches.</summary>
    public string? Identify(string presented)
    {
        var digest = Digest(presented);
        string? match = null;
        foreach (var (name, known) in _keys)
        {
            // No early exit: every request costs the same whichever key (if any) it carries.
            match = CryptographicOperations.FixedTimeEquals(digest, known) ? name : match;
        }

        return match;
    }

    /// <summary>
    /// The name of the entry <c>Gateway:ApiKeys:<paramref name="entry"/></c>: a number N (a JSON list's places are
    /// numbers, as are <c>Gateway__ApiKeys__0</c>'s) names <c>key-N</c>, anything else names itself, in lower case
    /// (configuration keys ignore case).
    /// </summary>
    public static string NameOf(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Length > 0 && entry.All(char.IsAsciiDigit)
            ? "key-" + (entry.TrimStart('0') is { Length: > 0 } number ? number : "0")
            : entry.ToLowerInvariant();
    }

    /// <summary>The keys in use with their names: every entry with a value (a blank one is a revoked key).</summary>
    public static IReadOnlyList<(string Name, string Entry, string Key)> Configured(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. options.ApiKeys.Where(entry => !string.IsNullOrWhiteSpace(entry.Value)).Select(entry => (NameOf(entry.Key), entry.Key, entry.Value))];
    }

    /// <summary>What is wrong with the keys as configured, to fail the start with; null when nothing is.</summary>
    public static string? Problem(GatewayOptions options)
    {
        var keys = Configured(options);
        if (keys.Count == 0)
        {
            return "No API key is configured: set Gateway:ApiKeys:NAME (in Kubernetes the Secret's Gateway__ApiKeys__0, Gateway__ApiKeys__acme, ...).";
        }

        // The entry itself must be ASCII: lower-casing maps some other letters to ASCII ones (the Kelvin sign to 'k').
        if (keys.FirstOrDefault(key => !key.Entry.All(char.IsAscii) || !Owner.IsValid(key.Name) || key.Name == Owner.Worker) is { Entry: not null } bad)
        {
            return bad.Name == Owner.Worker
                ? $"Gateway:ApiKeys:{bad.Entry}: 'worker' names the worker's own conversations in chat; give the key another name."
                : $"Gateway:ApiKeys:{bad.Entry}: a key's name (here '{bad.Name}') must be 1 to {Owner.MaxLength} ASCII letters, digits and '-' (or a number N, for 'key-N').";
        }

        if (keys.GroupBy(key => key.Name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1) is { } twice)
        {
            return $"{string.Join(" and ", twice.Select(key => "Gateway:ApiKeys:" + key.Entry))} both name the key '{twice.Key}': its tasks would be either's.";
        }

        if (keys.GroupBy(key => key.Key, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1) is { } same)
        {
            return $"{string.Join(" and ", same.Select(key => "Gateway:ApiKeys:" + key.Entry))} hold the same key: a request with it would be only one of theirs.";
        }

        return keys.FirstOrDefault(key => !KeyLength.IsLongEnough(key.Key)) is { Entry: not null } weak
            ? $"Gateway:ApiKeys:{weak.Entry}: a key must be at least {KeyLength.Min} characters (random ones, as from `openssl rand -hex 24`): " +
              "the wrong-key limit counts per gateway replica and per client address, so a short key is guessed sooner than it notices."
            : null;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>Fails the start on <see cref="ApiKeyRing.Problem"/>.</summary>
public sealed class ApiKeysValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options) =>
        ApiKeyRing.Problem(options) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
