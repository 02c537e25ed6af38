using System.Text.Json.Nodes;

namespace AgentSystem.Testing.Containers;

/// <summary>The engine's view of a container: "running", "exited" (with its code), "dead", ... or "removed" when gone.</summary>
public sealed record ContainerState(string Status, bool Running, int? ExitCode, string? Error, bool OomKilled)
{
    // The engine's field names (they happen to equal this record's, which is not a contract).
    private const string StatusField = "Status";
    private const string RunningField = "Running";
    private const string ExitCodeField = "ExitCode";
    private const string ErrorField = "Error";

    public static ContainerState Removed { get; } = new("removed", false, null, null, false);

    public static ContainerState FromInspect(JsonObject? inspect)
    {
        if (inspect?["State"] is not JsonObject state)
        {
            return Removed;
        }

        var error = state[ErrorField]?.GetValue<string>();
        return new ContainerState(
            state[StatusField]?.GetValue<string>() ?? "unknown",
            state[RunningField]?.GetValue<bool>() ?? false,
            state[ExitCodeField]?.GetValue<int>(),
            string.IsNullOrEmpty(error) ? null : error,
            state["OOMKilled"]?.GetValue<bool>() ?? false);
    }

    public override string ToString()
    {
        var text = Running ? Status : $"{Status} (exit code {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})";
        if (OomKilled)
        {
            text += ", killed for lack of memory";
        }

        return Error is null ? text : $"{text}, error: {Error}";
    }
}
