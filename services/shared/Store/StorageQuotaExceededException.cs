using System.Globalization;
using AgentSystem.Contracts;

namespace AgentSystem.Store;

/// <summary>
/// Storing would take an API key past its storage quota (the orchestrator's <c>Tasks:MaxStoredBytesPerKey</c>, chat's
/// <c>Chat:MaxStoredBytesPerKey</c>); nothing was stored. <see cref="Stored"/> is what the key holds now, when known (a
/// batch of several tasks does not tell which one did it: store them one by one).
/// </summary>
public sealed class StorageQuotaExceededException(long quota, long needed, long? stored)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"{Limits.BytesText(needed)} more would take the key past its quota of {Limits.BytesText(quota)}."))
{
    public long Quota { get; } = quota;

    public long Needed { get; } = needed;

    public long? Stored { get; } = stored;

    /// <summary>The title of the 403 ProblemDetails the services answer with it (docs/api.md, "Storage quota").</summary>
    public const string Title = "The API key's storage quota is used up";

    /// <summary>The problem's detail: "This API key's <paramref name="items"/> may hold ...; <paramref name="item"/> counts ...".</summary>
    public string Detail(string items, string item, string remedy) => string.Create(CultureInfo.InvariantCulture,
        $"This API key's {items} may hold {Limits.BytesText(Quota)} and hold {Limits.BytesText(Stored ?? 0)} now; {item} {Limits.BytesText(Needed)}. {remedy}");

    /// <summary>The problem's members beside the detail: <c>quotaBytes</c>, <c>storedBytes</c>, <c>neededBytes</c>.</summary>
    public Dictionary<string, object?> ProblemExtensions() =>
        new(StringComparer.Ordinal) { ["quotaBytes"] = Quota, ["storedBytes"] = Stored, ["neededBytes"] = Needed };
}
