using System.Text;
using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Model;
using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Storage;

/// <summary>For development and tests, when no PostgreSQL is configured: conversations are lost on restart.</summary>
public sealed class InMemoryConversationStore(TimeProvider time, IOptions<ChatOptions>? options = null) : IConversationStore
{
    private readonly long _quota = options?.Value.MaxStoredBytesPerKey ?? 0;
    private readonly Dictionary<Guid, Conversation> _conversations = [];
    private readonly Dictionary<Guid, string> _owners = [];
    private readonly Dictionary<Guid, DateTimeOffset> _touched = [];
    private readonly Lock _gate = new();

    public Task<Guid> CreateAsync(string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var now = time.GetUtcNow();
        var conversation = new Conversation(Guid.CreateVersion7(now), now, Stored(messages, now), messages.Count);
        lock (_gate)
        {
            CheckQuota(owner, messages);
            _conversations.Add(conversation.Id, conversation);
            _owners.Add(conversation.Id, owner ?? "");
        }

        return Task.FromResult(conversation.Id);
    }

    public Task AppendAsync(Guid conversationId, string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        lock (_gate)
        {
            var conversation = Find(conversationId, owner) ?? throw new KeyNotFoundException($"No conversation has id {conversationId}.");
            if (conversation.Messages.Count + messages.Count > Limits.MaxConversationMessages)
            {
                throw new ConversationFullException(conversationId, conversation.Messages.Count, messages.Count);
            }

            CheckQuota(_owners[conversationId], messages);   // the conversation's owner, whoever appends
            List<StoredChatMessage> all = [.. conversation.Messages, .. Stored(messages, time.GetUtcNow())];
            _conversations[conversationId] = conversation with { Messages = all, MessageCount = all.Count };
        }

        return Task.CompletedTask;
    }

    public Task<Conversation?> FindAsync(Guid conversationId, string? owner, int lastMessages, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastMessages);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);

        lock (_gate)
        {
            if (Find(conversationId, owner) is not { } conversation)
            {
                return Task.FromResult<Conversation?>(null);
            }

            // Stored whole here; read as PostgresConversationStore reads it: the last messages, newest first until the text passes maxBytes.
            var bytes = 0L;
            var window = conversation.Messages.TakeLast(lastMessages).Reverse()
                .TakeWhile(message => (bytes += Encoding.UTF8.GetByteCount(message.Content)) <= maxBytes).Reverse();
            return Task.FromResult<Conversation?>(conversation with { Messages = [.. window] });
        }
    }

    public Task<bool> TouchAsync(Guid conversationId, string? owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Find(conversationId, owner) is null)
            {
                return Task.FromResult(false);
            }

            _touched[conversationId] = time.GetUtcNow();
            return Task.FromResult(true);
        }
    }

    public Task<long> StoredBytesAsync(string owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(StoredBytes(owner));
        }
    }

    public Task<ConversationPage> ListAsync(string? owner, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);

        lock (_gate)
        {
            var owned = _conversations.Values.Where(conversation => owner is null || _owners[conversation.Id] == owner).ToList();
            var items = owned
                .Select(Summarize)
                .OrderByDescending(summary => summary.UpdatedAt).ThenByDescending(summary => summary.Id)
                .Skip((int)Math.Min(int.MaxValue, (page - 1L) * pageSize)).Take(Limits.ListedOnPage(page, pageSize))
                .ToList();
            var (total, exact) = Limits.ListedTotal(owned.Count);
            return Task.FromResult(new ConversationPage(items, page, pageSize, total, exact));
        }
    }

    public Task<int> DeleteIdleBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        lock (_gate)
        {
            var idle = _conversations.Values.Select(Summarize).Where(summary => summary.UpdatedAt < cutoff)
                .OrderBy(summary => summary.UpdatedAt).Take(limit).Select(summary => summary.Id).ToList();
            foreach (var id in idle)
            {
                _conversations.Remove(id);
                _owners.Remove(id);
                _touched.Remove(id);
            }

            return Task.FromResult(idle.Count);
        }
    }

    // Under the gate. As the PostgreSQL store counts: an API key's messages, whole conversations given back when deleted.
    private void CheckQuota(string? owner, IReadOnlyList<ChatMessage> messages)
    {
        var adding = ChatOptions.CountedBytes(messages);
        if (ChatOptions.IsCounted(owner) && _quota > 0 && StoredBytes(owner!) is var stored && stored + adding > _quota)
        {
            throw new StorageQuotaExceededException(_quota, adding, stored);
        }
    }

    private long StoredBytes(string owner) => ChatOptions.IsCounted(owner)
        ? _conversations.Values.Where(c => _owners[c.Id] == owner).Sum(c => c.Messages.Sum(m => (long)Limits.Utf8Bytes(m.Content)))
        : 0;

    private Conversation? Find(Guid conversationId, string? owner) =>
        _conversations.GetValueOrDefault(conversationId) is { } conversation && (owner is null || _owners[conversationId] == owner) ? conversation : null;

    // The same rules as the SQL of PostgresConversationStore.ListAsync; active when last written or touched.
    private ConversationSummary Summarize(Conversation conversation)
    {
        var first = conversation.Messages.FirstOrDefault(message => message.Role == ChatRoles.User)?.Content ?? "";
        var title = first.Length <= ConversationSummary.TitleLength ? first : first[..ConversationSummary.TitleLength];
        var written = conversation.Messages.Count > 0 ? conversation.Messages[^1].CreatedAt : conversation.CreatedAt;
        var updatedAt = _touched.TryGetValue(conversation.Id, out var touched) && touched > written ? touched : written;
        return new(conversation.Id, title, conversation.CreatedAt, updatedAt, conversation.Messages.Count);
    }

    private static List<StoredChatMessage> Stored(IReadOnlyList<ChatMessage> messages, DateTimeOffset now) =>
        [.. messages.Select(message => new StoredChatMessage(message.Role, message.Content, now))];
}
