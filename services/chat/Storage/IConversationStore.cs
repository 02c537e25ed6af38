using AgentSystem.Chat.Model;
using AgentSystem.Contracts;

namespace AgentSystem.Chat.Storage;

/// <summary>Conversations and their messages, in order. Each call writes all its messages or none.</summary>
public interface IConversationStore
{
    /// <summary>Starts a conversation holding <paramref name="messages"/>; returns its id.</summary>
    Task<Guid> CreateAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="messages"/> after the conversation's last one.</summary>
    /// <exception cref="KeyNotFoundException">No conversation has that id.</exception>
    /// <exception cref="ConversationFullException">It would then hold more than <see cref="Limits.MaxConversationMessages"/>.</exception>
    Task AppendAsync(Guid conversationId, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// The conversation with its last <paramref name="lastMessages"/> messages, as many of the newest of them as hold at
    /// most <paramref name="maxBytes"/> of text (UTF-8), and its count of all; or null.
    /// </summary>
    Task<Conversation?> FindAsync(Guid conversationId, int lastMessages, int maxBytes, CancellationToken cancellationToken);

    /// <summary>Page <paramref name="page"/> (from 1) of the conversations, the most recently active first.</summary>
    Task<ConversationPage> ListAsync(int page, int pageSize, CancellationToken cancellationToken);
}

/// <summary>An append that would take a conversation past <see cref="Limits.MaxConversationMessages"/>; nothing was stored.</summary>
public sealed class ConversationFullException(Guid conversationId, int holds, int adding)
    : Exception($"Conversation {conversationId} holds {holds} messages; {adding} more would pass the limit of {Limits.MaxConversationMessages}: start a new conversation.")
{
    public Guid ConversationId { get; } = conversationId;
}
