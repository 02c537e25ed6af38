namespace AgentSystem.Contracts;

/// <summary>
/// Whose tasks a request may see and change (docs/api.md, "Each key sees its own tasks"): the gateway names the API key
/// it authenticated ("key-0", its place in <c>Gateway:ApiKeys</c>, never the key) in <see cref="HeaderName"/>, replacing
/// whatever a caller sent; the orchestrator stores it with each task and answers a request only with its owner's
/// tasks. A request without it comes from inside the cluster, not through the gateway, and sees every task.
/// </summary>
public static class Owner
{
    public const string HeaderName = "X-AgentSystem-Owner";

    public const int MaxLength = 64;

    /// <summary>1 to <see cref="MaxLength"/> characters of lower-case ASCII letters, digits and '-'.</summary>
    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
