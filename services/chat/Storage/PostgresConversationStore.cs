using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Model;
using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Chat.Storage;

/// <summary>
/// Conversations in <c>chat_conversations</c> and <c>chat_messages</c> (see Migrations/); a conversation of no owner
/// has owner ''. What an API key stores is added to <c>chat_owner_storage</c> by the statements that store it, whose
/// CHECK refuses what would pass <see cref="ChatOptions.MaxStoredBytesPerKey"/> (none without options).
/// </summary>
public sealed class PostgresConversationStore(NpgsqlDataSource database, IOptions<ChatOptions>? options = null) : IConversationStore
{
    private const string StorageTable = "chat_owner_storage";

    private readonly long _quota = options?.Value.MaxStoredBytesPerKey ?? 0;

    // The owner's condition on chat_conversations, or none: a caller inside the cluster sees every conversation.
    private static string OwnedBy(string? owner, int parameter) => owner is null ? string.Empty : $" AND owner = ${parameter}";

    public async Task<Guid> CreateAsync(string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var id = Guid.CreateVersion7();
        var bytes = ChatOptions.CountedBytes(messages);
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO chat_conversations (id, created_at, updated_at, owner, stored_bytes) VALUES ($1, now(), now(), $2, $3)")
        {
            Parameters = { new() { Value = id }, new() { Value = owner ?? "" }, new() { Value = bytes } },
        });
        AddMessages(batch, id, messages);
        AddStored(batch, owner, bytes);
        // One round trip; a batch without an explicit transaction runs in an implicit one: all rows or none.
        await QuotaCheckedAsync(() => batch.ExecuteNonQueryAsync(cancellationToken), owner ?? "", bytes, cancellationToken);
        return id;
    }

    public async Task AppendAsync(Guid conversationId, string? owner, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var bytes = ChatOptions.CountedBytes(messages);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The UPDATE locks the conversation's row until the commit, so appends to one conversation take turns and the
        // count (a statement of its own, so it sees what the one before committed) cannot be raced past the limit. The
        // messages count against the conversation's owner, whoever appends them (a caller inside the cluster too).
        string stored;
        await using (var check = new NpgsqlBatch(connection, transaction))
        {
            var touch = new NpgsqlBatchCommand($"UPDATE chat_conversations SET updated_at = now(), stored_bytes = stored_bytes + $3 WHERE id = $1{OwnedBy(owner, 2)} RETURNING owner")
            {
                Parameters = { new() { Value = conversationId } },
            };
            touch.Parameters.Add(new() { Value = owner ?? "" });   // unused without an owner: $2 must still be typed
            touch.Parameters.Add(new() { Value = bytes });
            check.BatchCommands.Add(touch);
            check.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM chat_messages WHERE conversation_id = $1") { Parameters = { new() { Value = conversationId } } });
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new KeyNotFoundException($"No conversation has id {conversationId}.");
            }

            stored = reader.GetString(0);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var holds = checked((int)reader.GetInt64(0));
            if (holds + messages.Count > Limits.MaxConversationMessages)
            {
                throw new ConversationFullException(conversationId, holds, messages.Count);
            }
        }

        await using (var insert = new NpgsqlBatch(connection, transaction))
        {
            AddMessages(insert, conversationId, messages);
            AddStored(insert, stored, bytes);
            await QuotaCheckedAsync(() => insert.ExecuteNonQueryAsync(cancellationToken), stored, bytes, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public Task<long> StoredBytesAsync(string owner, CancellationToken cancellationToken) =>
        OwnerStorage.StoredBytesAsync(database, StorageTable, owner, cancellationToken);

    public async Task<Conversation?> FindAsync(Guid conversationId, string? owner, int lastMessages, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastMessages);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);

        // The last messages by the (conversation_id, id) index, never the whole conversation, cut where their text, summed
        // from the newest, passes maxBytes; the count once, in the CTE (in the select list it would run again for every
        // message returned).
        await using var command = database.CreateCommand(
            $"""
            WITH c AS MATERIALIZED (
                SELECT id, created_at, (SELECT count(*) FROM chat_messages WHERE conversation_id = $1) AS messages
                FROM chat_conversations WHERE id = $1{OwnedBy(owner, 4)}
            )
            SELECT c.created_at, c.messages, m.role, m.content, m.created_at
            FROM c
            LEFT JOIN LATERAL (
                SELECT id, role, content, created_at FROM (
                    SELECT id, role, content, created_at, sum(octet_length(content)) OVER (ORDER BY id DESC) AS bytes
                    FROM (SELECT id, role, content, created_at FROM chat_messages WHERE conversation_id = c.id ORDER BY id DESC LIMIT $2) AS last
                ) AS sized
                WHERE bytes <= $3
            ) m ON true
            ORDER BY m.id
            """);
        command.Parameters.Add(new() { Value = conversationId });
        command.Parameters.Add(new() { Value = lastMessages });
        command.Parameters.Add(new() { Value = (long)maxBytes });
        if (owner is not null)
        {
            command.Parameters.Add(new() { Value = owner });
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        (DateTimeOffset CreatedAt, long Count)? conversation = null;
        var messages = new List<StoredChatMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            conversation ??= (reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1));
            if (!await reader.IsDBNullAsync(2, cancellationToken))
            {
                messages.Add(new StoredChatMessage(reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        return conversation is var (createdAt, count) ? new Conversation(conversationId, createdAt, messages, checked((int)count)) : null;
    }

    public async Task<bool> TouchAsync(Guid conversationId, string? owner, CancellationToken cancellationToken)
    {
        await using var touch = database.CreateCommand($"UPDATE chat_conversations SET updated_at = now() WHERE id = $1{OwnedBy(owner, 2)}");
        touch.Parameters.Add(new() { Value = conversationId });
        if (owner is not null)
        {
            touch.Parameters.Add(new() { Value = owner });
        }

        return await touch.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<ConversationPage> ListAsync(string? owner, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);

        // One round trip: the total (counted one row past the limit, never the whole table), then the page. The title and
        // count read chat_messages by its (conversation_id, id) index for the page's rows only. An owner's walks
        // chat_conversations_owner_recent.
        await using var batch = database.CreateBatch();
        var count = new NpgsqlBatchCommand($"SELECT count(*) FROM (SELECT 1 FROM chat_conversations WHERE true{OwnedBy(owner, 1)} LIMIT {Limits.MaxListedItems + 1}) AS listed");
        var listing = new NpgsqlBatchCommand(
            $"""
            SELECT c.id, c.created_at, c.updated_at,
                   coalesce((SELECT left(m.content, $3) FROM chat_messages m WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1), ''),
                   (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id)
            FROM chat_conversations c
            WHERE true{OwnedBy(owner, 4)}
            ORDER BY c.updated_at DESC, c.id DESC
            LIMIT $1 OFFSET $2
            """)
        {
            Parameters = { new() { Value = Limits.ListedOnPage(page, pageSize) }, new() { Value = (page - 1L) * pageSize }, new() { Value = ConversationSummary.TitleLength } },
        };
        if (owner is not null)
        {
            count.Parameters.Add(new() { Value = owner });
            listing.Parameters.Add(new() { Value = owner });
        }

        batch.BatchCommands.Add(count);
        batch.BatchCommands.Add(listing);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);

        await reader.ReadAsync(cancellationToken);
        var (total, exact) = Limits.ListedTotal(reader.GetInt64(0));
        await reader.NextResultAsync(cancellationToken);
        var items = new List<ConversationSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new ConversationSummary(
                reader.GetGuid(0), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2), checked((int)reader.GetInt64(4))));
        }

        return new ConversationPage(items, page, pageSize, total, exact);
    }

    public async Task<int> DeleteIdleBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // Along chat_conversations_recent (read backwards), stopping at the limit; the messages go with their conversation
        // (ON DELETE CASCADE). An append or a touch holds its conversation's row until it commits: skipped here, and one
        // committed meanwhile is checked again under the lock (updated_at is then recent), so no conversation is deleted
        // that was just continued, nor while its reply is generated (ChatApi touches it first).
        // What they held goes back to their owners.
        await using var command = database.CreateCommand(
            $"""
            WITH deleted AS (
                DELETE FROM chat_conversations WHERE id IN (
                    SELECT id FROM chat_conversations WHERE updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                RETURNING owner, stored_bytes),
            {OwnerStorage.GiveBackSql(StorageTable)}
            SELECT count(*)::int FROM deleted
            """);
        command.Parameters.Add(new() { Value = cutoff });
        command.Parameters.Add(new() { Value = limit });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // An API key's messages add to its storage, last in their statements, so its row is held only until the commit.
    private void AddStored(NpgsqlBatch batch, string? owner, long bytes)
    {
        if (!ChatOptions.IsCounted(owner))
        {
            return;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"""
            INSERT INTO {StorageTable} AS s (owner, bytes, quota) VALUES ($1, $2, $3)
            ON CONFLICT (owner) DO UPDATE SET bytes = s.bytes + excluded.bytes, quota = excluded.quota
            """)
        {
            Parameters = { new() { Value = owner! }, new() { Value = bytes }, new() { Value = _quota } },
        });
    }

    private async Task QuotaCheckedAsync(Func<Task> store, string owner, long bytes, CancellationToken cancellationToken)
    {
        try
        {
            await store();
        }
        catch (PostgresException error) when (OwnerStorage.IsRefusal(error, StorageTable))
        {
            throw new StorageQuotaExceededException(_quota, bytes, await StoredBytesAsync(owner, cancellationToken));
        }
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
