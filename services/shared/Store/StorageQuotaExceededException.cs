using System.Globalization;
using AgentSystem.Contracts;

namespace AgentSystem.Store;

/// <summary>
/// Storing a task would take its owner past its quota (<see cref="NewTask.OwnerQuota"/>, the orchestrator's
/// <c>Tasks:MaxStoredBytesPerKey</c>); nothing was stored. <see cref="Stored"/> is what the owner's tasks hold now, when
/// known (a batch of several tasks does not tell which one did it: store them one by one).
/// </summary>
public sealed class StorageQuotaExceededException(long quota, long needed, long? stored)
    : Exception(Describe(quota, needed, stored))
{
    public long Quota { get; } = quota;

    public long Needed { get; } = needed;

    public long? Stored { get; } = stored;

    private static string Describe(long quota, long needed, long? stored) => string.Create(CultureInfo.InvariantCulture,
        $"This API key's tasks may hold {Limits.BytesText(quota)}{(stored is { } held ? $" and hold {Limits.BytesText(held)} now" : "")}; this task counts {Limits.BytesText(needed)}.");
}
