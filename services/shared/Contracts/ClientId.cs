using System.Security.Cryptography;
using System.Text;

namespace AgentSystem.Contracts;

/// <summary>
/// Whom the queue shares its workers between (docs/queue.md, "Fair share"): the gateway names each request's client
/// (an API key's name and the caller's address, as its limits count them) in <see cref="HeaderName"/>, the orchestrator
/// puts it on the task's jobs and stores it with the task, and every claim takes from each waiting client in turn.
/// Hashed, so that no address is stored in Redis or PostgreSQL (pseudonymous, not secret: guesses can be tested); the
/// gateway replaces whatever a caller sent in that header.
/// </summary>
public static class ClientId
{
    public const string HeaderName = "X-AgentSystem-Client";

    /// <summary>Characters of an id: 16 lower-case hex digits, 64 bits of SHA-256.</summary>
    public const int Length = 16;

    public static string Of(string client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client)), 0, Length / 2);
    }

    public static bool IsValid(string? value) => value is { Length: Length } && value.All(char.IsAsciiHexDigitLower);
}
