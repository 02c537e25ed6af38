namespace AgentSystem.Testing.Containers.Images;

/// <summary>The reference to try first, where it came from (for messages), and what to fall back to.</summary>
public sealed record ImageChoice(string Reference, string Source, LogicalImage? Logical, string? LocalEquivalent)
{
    public override string ToString() => $"{Reference} ({Source})";
}
