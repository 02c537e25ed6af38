using System.Collections.Frozen;

namespace AgentSystem.Contracts;

public static class JobTypes
{
    public const string Echo = "echo";
    public const string WordCount = "wordcount";
    public const string Hash = "hash";
    public const string Sleep = "sleep";
    public const string Llm = "llm";

    /// <summary>Fails at once, its input as the reason: a deterministic failure for tests and demonstrations.</summary>
    public const string Fail = "fail";

    public static IReadOnlyList<string> All { get; } = [Echo, WordCount, Hash, Sleep, Llm, Fail];

    private static readonly FrozenSet<string> Known = All.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Type names are exact, lower-case identifiers: "Echo" is not a known type.</summary>
    public static bool IsKnown(string? type) => type is not null && Known.Contains(type);
}
