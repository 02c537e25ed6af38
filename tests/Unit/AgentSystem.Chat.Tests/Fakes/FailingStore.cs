using System.Data.Common;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Storage;

namespace AgentSystem.Chat.Tests.Fakes;

/// <summary>A conversation store whose writes fail as PostgreSQL's do when it is down; it holds no conversations.</summary>
public sealed class FailingStore : IConversationStore
{
    public Task<Guid> CreateAsync(string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken) => throw new StoreDownException();

    public Task AppendAsync(Guid conversationId, string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken) => throw new StoreDownException();

    public Task<Conversation?> FindAsync(Guid conversationId, string? owner, int lastMessages, int maxBytes, CancellationToken cancellationToken) => Task.FromResult<Conversation?>(null);

    public Task<long> StoredBytesAsync(string owner, CancellationToken cancellationToken) => Task.FromResult(0L);   // fails at the write

    public Task<ConversationPage> ListAsync(string? owner, int page, int pageSize, CancellationToken cancellationToken) => throw new StoreDownException();

    public Task<bool> TouchAsync(Guid conversationId, string? owner, CancellationToken cancellationToken) => throw new StoreDownException();

    public Task<int> DeleteIdleBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) => throw new StoreDownException();

    private sealed class StoreDownException : DbException
    {
        public StoreDownException()
            : base("the store is down (a test's fake)")
        {
        }
    }
}
