namespace AgentSystem.Contracts;

/// <summary>
/// The header in which the gateway and the worker present the internal key (the setting <c>Internal:Key</c>) to the
/// orchestrator and chat, which then believe the <see cref="Owner"/> and <see cref="ClientId"/> a request names
/// (docs/api.md, "The services behind the gateway").
/// </summary>
public static class InternalKey
{
    public const string HeaderName = "X-AgentSystem-Internal-Key";

    /// <summary>On the services' 401 to a caller without the key: the gateway answers its client a 502 instead.</summary>
    public const string RefusedHeaderName = "X-AgentSystem-Internal-Key-Refused";
}
