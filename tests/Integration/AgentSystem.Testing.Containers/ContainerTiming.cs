namespace AgentSystem.Testing.Containers;

/// <summary>How long one container took from the create request until every wait strategy was satisfied.</summary>
public sealed record ContainerTiming(string Image, string? LogicalName, string ContainerName, TimeSpan CreateToReady, DateTimeOffset ReadyAt)
{
    public override string ToString() =>
        $"{LogicalName ?? ContainerName} ({Image}): ready in {CreateToReady.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} s";
}
