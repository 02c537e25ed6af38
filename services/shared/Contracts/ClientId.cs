using System.Security.Cryptography;
using System.Text;

namespace AgentSystem.Contracts;

/// <summary>
/// Whom the queue shares its workers between (docs/queue.md, "Fair share"): the gateway names each request's client
/// (an API key's name and the caller's address, as its limits count them) in <see cref="HeaderName"/>, the orchestrator
/// puts it on the task's jobs and stores it with the task, and every claim takes from each waiting client in turn.
/// Hashed, so that no address is stored in Redis or PostgreSQL; keyed (<see cref="KeyFrom"/>) where an internal key is
/// set, so that whoever reads them cannot test guesses (an IPv4 address is one of 2^32) without that key too. The
/// gateway replaces whatever a caller sent in that header.
/// </summary>
public static class ClientId
{
    public const string HeaderName = "X-AgentSystem-Client";

    /// <summary>Characters of an id: 16 lower-case hex digits, 64 bits of SHA-256 (HMAC-SHA-256 with a key).</summary>
    public const int Length = 16;

    private static readonly byte[] KeyPurpose = "AgentSystem client id"u8.ToArray();

    /// <summary>
    /// The key ids are made with, derived from the internal key (HKDF-SHA-256): never the secret itself, which also goes
    /// in a header to the services.
    /// </summary>
    public static byte[] KeyFrom(string internalKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(internalKey);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(internalKey), 32, salt: null, info: KeyPurpose);
    }

    /// <summary>The id of <paramref name="client"/>: its HMAC-SHA-256 under <paramref name="key"/> (<see cref="KeyFrom"/>), or its SHA-256 without one.</summary>
    public static string Of(string client, ReadOnlySpan<byte> key = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var data = Encoding.UTF8.GetBytes(client);
        return Convert.ToHexStringLower(key.IsEmpty ? SHA256.HashData(data) : HMACSHA256.HashData(key, data), 0, Length / 2);
    }

    public static bool IsValid(string? value) => value is { Length: Length } && value.All(char.IsAsciiHexDigitLower);
}
