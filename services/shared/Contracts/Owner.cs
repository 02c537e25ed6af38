namespace AgentSystem.Contracts;

/// <summary>
/// Whose tasks and conversations a request may see and change (docs/api.md, "Each key sees its own tasks and
/// conversations"): the gateway names the API key it authenticated ("key-0", "acme": its entry in
/// <c>Gateway:ApiKeys</c>, never the key) in <see cref="HeaderName"/>, replacing whatever a caller sent; the
/// orchestrator and chat store it with each task and conversation and answer a request only with its owner's. A
/// request without it comes from inside the cluster, not through the gateway, and sees everything.
/// </summary>
public static class Owner
{
    public const string HeaderName = "X-AgentSystem-Owner";

    public const int MaxLength = 64;

    /// <summary>
    /// The owner of the conversations the worker's <c>llm</c> jobs start in chat: no API key is named so, so no caller
    /// of the gateway sees them, and they are told apart from those stored before owners were.
    /// </summary>
    public const string Worker = "worker";

    /// <summary>1 to <see cref="MaxLength"/> characters of lower-case ASCII letters, digits and '-'.</summary>
    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>
    /// An error message when a request's values of <see cref="HeaderName"/> are not one valid name (the services answer
    /// 400 with it), null when they are one, or none.
    /// </summary>
    public static string? Validate(IReadOnlyList<string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Count == 0 || (values.Count == 1 && IsValid(values[0]))
            ? null
            : $"The {HeaderName} header, which the gateway sets, must be one name of at most {MaxLength} lower-case letters, digits and '-'.";
    }
}
