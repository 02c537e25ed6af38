namespace AgentSystem.Contracts;

/// <summary>
/// The shortest API key the gateway takes and the shortest internal key the services take: the wrong-key limits count
/// per replica and per client address, so a short key is guessed sooner than they notice. Linked into the build program
/// too, which refuses a shorter --dev-api-key or --system-api-key before it starts anything (Dev, SystemUp, SystemTest).
/// </summary>
public static class KeyLength
{
    public const int Min = 16;

    /// <summary>Whether the gateway takes <paramref name="key"/> for its length.</summary>
    public static bool IsLongEnough(string key) => Counted(key) >= Min;

    /// <summary>The characters of <paramref name="key"/> that count: spaces around it do not.</summary>
    public static int Counted(string key) => key.Trim().Length;
}
