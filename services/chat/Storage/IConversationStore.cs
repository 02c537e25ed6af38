using AgentSystem.Chat.Model;

namespace AgentSystem.Chat.Storage;

/// <summary>Conversations and their messages, in order. Each call writes all its messages or none.</summary>
public interface IConversationStore
{
    /// <summary>Starts a conversation holding <paramref name="messages"/>; returns its id.</summary>
    Task<Guid> CreateAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="messages"/> after the conversation's last one.</summary>
    /// <exception cref="KeyNotFoundException">No conversation has that id.</exception>
    Task AppendAsync(Guid conversationId, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    Task<Conversation?> FindAsync(Guid conversationId, CancellationToken cancellationToken);

    /// <summary>Page <paramref name="page"/> (from 1) of the conversations, the most recently active first.</summary>
    Task<ConversationPage> ListAsync(int page, int pageSize, CancellationToken cancellationToken);
}
