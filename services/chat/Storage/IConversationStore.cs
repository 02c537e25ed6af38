using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Model;
using AgentSystem.Contracts;
using AgentSystem.Store;

namespace AgentSystem.Chat.Storage;

/// <summary>
/// Conversations and their messages, in order. Each call writes all its messages or none. A conversation belongs to
/// the API key it was started with (<see cref="Owner"/>): a call with an owner finds only that owner's, one with null
/// every conversation (a caller inside the cluster).
/// </summary>
public interface IConversationStore
{
    /// <summary>
    /// Starts a conversation of <paramref name="owner"/> (null: none) holding <paramref name="messages"/>; returns its id.
    /// What an API key's calls store counts against <c>Chat:MaxStoredBytesPerKey</c> (<see cref="ChatOptions.IsCounted"/>).
    /// </summary>
    /// <exception cref="StorageQuotaExceededException">The messages would take the owner past its quota; nothing was stored.</exception>
    Task<Guid> CreateAsync(string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="messages"/> after the conversation's last one.</summary>
    /// <exception cref="KeyNotFoundException">No conversation of <paramref name="owner"/> has that id.</exception>
    /// <exception cref="ConversationFullException">It would then hold more than <see cref="Limits.MaxConversationMessages"/>.</exception>
    /// <exception cref="StorageQuotaExceededException">The messages would take the owner past its quota; nothing was stored.</exception>
    Task AppendAsync(Guid conversationId, string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// The conversation with its last <paramref name="lastMessages"/> messages, as many of the newest of them as hold at
    /// most <paramref name="maxBytes"/> of text (UTF-8), and its count of all; or null (unknown, or another owner's).
    /// </summary>
    Task<Conversation?> FindAsync(Guid conversationId, string? owner, int lastMessages, int maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the conversation active now (its <c>updatedAt</c>), as a continuation does before the provider is asked, so
    /// that retention does not delete it while the reply is generated; false when no conversation of
    /// <paramref name="owner"/> has that id.
    /// </summary>
    Task<bool> TouchAsync(Guid conversationId, string? owner, CancellationToken cancellationToken);

    /// <summary>What <paramref name="owner"/>'s conversations count against its quota now, in bytes.</summary>
    Task<long> StoredBytesAsync(string owner, CancellationToken cancellationToken);

    /// <summary>Page <paramref name="page"/> (from 1) of the owner's conversations, the most recently active first.</summary>
    Task<ConversationPage> ListAsync(string? owner, int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes at most <paramref name="limit"/> conversations, whoever owns them, last active before
    /// <paramref name="cutoff"/> (the longest idle first), with their messages; returns how many it deleted. One being
    /// appended to or touched meanwhile is left for a later round.
    /// </summary>
    Task<int> DeleteIdleBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);
}

/// <summary>An append that would take a conversation past <see cref="Limits.MaxConversationMessages"/>; nothing was stored.</summary>
public sealed class ConversationFullException(Guid conversationId, int holds, int adding)
    : Exception($"Conversation {conversationId} holds {holds} messages; {adding} more would pass the limit of {Limits.MaxConversationMessages}: start a new conversation.")
{
    public Guid ConversationId { get; } = conversationId;
}
