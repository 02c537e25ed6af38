namespace AgentSystem.Chat.Apis;

/// <summary>Section "Chat".</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary>
    /// A streamed reply sends a <c>: keep-alive</c> comment after this long without a piece from the provider, so
    /// proxies (the gateway's <c>UpstreamTimeout</c>, 30 s) keep a slow model's stream open; a first piece that takes
    /// longer than this is awaited with the stream already open.
    /// </summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);
}
