namespace AgentSystem.Testing.Containers;

/// <summary>What a container or an exec wrote: each stream apart, and both in the order they were written.</summary>
public sealed record ContainerOutput(string Stdout, string Stderr, string Combined)
{
    public static ContainerOutput Empty { get; } = new(string.Empty, string.Empty, string.Empty);

    /// <summary>The combined output as lines, without a trailing empty one.</summary>
    public IReadOnlyList<string> Lines =>
        Combined.Length == 0 ? [] : Combined.TrimEnd('\n').Split('\n').Select(line => line.TrimEnd('\r')).ToArray();

    public override string ToString() => Combined;
}
