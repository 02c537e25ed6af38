using AgentSystem.Chat.Model;
using Npgsql;

namespace AgentSystem.Chat.Storage;

/// <summary>Conversations in <c>chat_conversations</c> and <c>chat_messages</c> (see Migrations/0001_chat.sql).</summary>
public sealed class PostgresConversationStore(NpgsqlDataSource database) : IConversationStore
{
    public async Task<Guid> CreateAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var id = Guid.CreateVersion7();
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO chat_conversations (id, created_at) VALUES ($1, now())") { Parameters = { new() { Value = id } } });
        AddMessages(batch, id, messages);
        // One round trip; a batch without an explicit transaction runs in an implicit one: all rows or none.
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    public async Task AppendAsync(Guid conversationId, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        await using var batch = database.CreateBatch();
        AddMessages(batch, conversationId, messages);
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new KeyNotFoundException($"No conversation has id {conversationId}.", error);
        }
    }

    public async Task<Conversation?> FindAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            SELECT c.created_at, m.role, m.content, m.created_at
            FROM chat_conversations c LEFT JOIN chat_messages m ON m.conversation_id = c.id
            WHERE c.id = $1
            ORDER BY m.id
            """);
        command.Parameters.Add(new() { Value = conversationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        DateTimeOffset? createdAt = null;
        var messages = new List<StoredChatMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            createdAt ??= reader.GetFieldValue<DateTimeOffset>(0);
            if (!await reader.IsDBNullAsync(1, cancellationToken))
            {
                messages.Add(new StoredChatMessage(reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        return createdAt is { } created ? new Conversation(conversationId, created, messages) : null;
    }

    private static void AddMessages(NpgsqlBatch batch, Guid conversationId, IReadOnlyList<ChatMessage> messages)
    {
        foreach (var message in messages)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO chat_messages (conversation_id, role, content, created_at) VALUES ($1, $2, $3, now())")
            {
                Parameters = { new() { Value = conversationId }, new() { Value = message.Role }, new() { Value = message.Content } },
            });
        }
    }
}
