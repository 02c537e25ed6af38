using System.Diagnostics;

namespace AgentSystem.Store;

/// <summary>The source of the batches' spans (one per batch, whatever its item type).</summary>
public static class BatcherTelemetry
{
    public const string SourceName = "AgentSystem.Store.Batches";

    internal static ActivitySource Source { get; } = new(SourceName);
}
