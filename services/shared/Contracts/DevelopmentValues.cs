namespace AgentSystem.Contracts;

/// <summary>
/// The repository's development secrets (the Kubernetes base's API key, database and Redis passwords and internal key, Compose's
/// internal key) begin with <see cref="Prefix"/>: whoever has read the repository knows them, so each service warns at
/// start, outside Development, when one of its secrets is one.
/// </summary>
public static class DevelopmentValues
{
    public const string Prefix = "dev-only-";

    public static bool Is(string? secret) => secret?.StartsWith(Prefix, StringComparison.Ordinal) == true;
}
