using AgentSystem.Chat.Model;
using AgentSystem.Contracts;

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

    /// <summary>
    /// The most one API key's conversations may hold (their messages' text in bytes of UTF-8, until retention deletes
    /// them); a request past it is a 403. 0: no limit. A caller inside the cluster (the worker) counts against no key.
    /// </summary>
    public long MaxStoredBytesPerKey { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Whether what <paramref name="owner"/> stores counts against a quota: an API key's, not the cluster's own.</summary>
    public static bool IsCounted(string? owner) => owner is { Length: > 0 } and not Owner.Worker;

    /// <summary>What <paramref name="messages"/> count against a quota: their text in bytes of UTF-8.</summary>
    public static long CountedBytes(IEnumerable<ChatMessage> messages) => messages.Sum(message => (long)Limits.Utf8Bytes(message.Content));
}
