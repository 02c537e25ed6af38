using AgentSystem.Chat.Model;
using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using Npgsql;

namespace AgentSystem.Chat.IntegrationTests;

/// <summary>The store's SQL: what it reads of a long conversation, and the limit on its length under concurrent appends.</summary>
public sealed class PostgresConversationStoreTests(ChatDatabaseFixture database) : IClassFixture<ChatDatabaseFixture>, IAsyncLifetime
{
    private NpgsqlDataSource _dataSource = null!;
    private PostgresConversationStore _store = null!;

    public Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        _store = new PostgresConversationStore(_dataSource);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task Find_reads_the_last_messages_in_order_and_counts_them_all()
    {
        var id = await _store.CreateAsync(owner: null, Messages(1, 3), CancellationToken.None);
        await _store.AppendAsync(id, owner: null, Messages(4, 2), CancellationToken.None);

        var last = await _store.FindAsync(id, owner: null, 3, Limits.ConversationWindowBytes, CancellationToken.None);
        var none = await _store.FindAsync(id, owner: null, 0, Limits.ConversationWindowBytes, CancellationToken.None);

        Assert.Equal(["3", "4", "5"], last!.Messages.Select(m => m.Content));
        Assert.Equal(5, last.MessageCount);
        Assert.Empty(none!.Messages);
        Assert.Equal(5, none.MessageCount);
    }

    [Fact]
    public async Task Find_keeps_the_newest_messages_whose_text_fits_the_bytes_counted_in_utf8()
    {
        // 10, 10, 20 (ten two-byte characters) and 10 bytes: 30 hold the last two.
        var id = await _store.CreateAsync(
            owner: null,
            [new("user", new string('1', 10)), new("assistant", new string('2', 10)), new("user", new string('é', 10)), new("assistant", new string('4', 10))],
            CancellationToken.None);

        var window = await _store.FindAsync(id, owner: null, 10, 30, CancellationToken.None);
        var tooSmall = await _store.FindAsync(id, owner: null, 10, 9, CancellationToken.None);

        Assert.Equal([new string('é', 10), new string('4', 10)], window!.Messages.Select(m => m.Content));
        Assert.Equal(4, window.MessageCount);
        Assert.Empty(tooSmall!.Messages);
        Assert.Equal(4, tooSmall.MessageCount);
    }

    [Fact]
    public async Task An_owner_finds_appends_to_and_lists_only_its_own_conversations()
    {
        var (mine, theirs) = ($"mine-{Guid.NewGuid():N}", $"theirs-{Guid.NewGuid():N}");
        var first = await _store.CreateAsync(mine, Messages(1, 1), CancellationToken.None);
        var other = await _store.CreateAsync(theirs, Messages(1, 1), CancellationToken.None);
        var second = await _store.CreateAsync(mine, Messages(1, 1), CancellationToken.None);

        Assert.Null(await _store.FindAsync(other, mine, 10, Limits.ConversationWindowBytes, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.AppendAsync(other, mine, Messages(1, 1), CancellationToken.None));
        Assert.Equal(1, (await _store.FindAsync(other, theirs, 10, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);
        Assert.Equal(1, (await _store.FindAsync(other, owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);

        var listed = await _store.ListAsync(mine, 1, 10, CancellationToken.None);
        Assert.Equal([second, first], listed.Items.Select(c => c.Id));
        Assert.Equal(2, listed.Total);
        await _store.AppendAsync(first, mine, Messages(1, 1), CancellationToken.None);
        Assert.Equal([first, second], (await _store.ListAsync(mine, 1, 10, CancellationToken.None)).Items.Select(c => c.Id));
        Assert.Contains(other, (await _store.ListAsync(owner: null, 1, 100, CancellationToken.None)).Items.Select(c => c.Id));
    }

    [Fact]
    public async Task Unknown_ids_are_null_to_find_and_an_error_to_append()
    {
        Assert.Null(await _store.FindAsync(Guid.NewGuid(), owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.AppendAsync(Guid.NewGuid(), owner: null, Messages(1, 1), CancellationToken.None));
    }

    [Fact]
    public async Task An_append_past_the_limit_is_refused_and_stores_nothing()
    {
        var id = await _store.CreateAsync(owner: null, Messages(1, 1), CancellationToken.None);
        await _store.AppendAsync(id, owner: null, Messages(2, Limits.MaxConversationMessages - 3), CancellationToken.None);

        await Assert.ThrowsAsync<ConversationFullException>(() => _store.AppendAsync(id, owner: null, Messages(1, 3), CancellationToken.None));
        await _store.AppendAsync(id, owner: null, Messages(1, 2), CancellationToken.None);
        await Assert.ThrowsAsync<ConversationFullException>(() => _store.AppendAsync(id, owner: null, Messages(1, 1), CancellationToken.None));

        Assert.Equal(Limits.MaxConversationMessages, (await _store.FindAsync(id, owner: null, 0, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);
    }

    [Fact]
    public async Task Concurrent_appends_near_the_limit_stop_exactly_at_it()
    {
        var id = await _store.CreateAsync(owner: null, Messages(1, 1), CancellationToken.None);
        await _store.AppendAsync(id, owner: null, Messages(2, Limits.MaxConversationMessages - 21), CancellationToken.None);

        // 40 appends of one message race for the 20 places left.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            try
            {
                await _store.AppendAsync(id, owner: null, [new ChatMessage("user", $"racer {i}")], CancellationToken.None);
                return true;
            }
            catch (ConversationFullException)
            {
                return false;
            }
        }));

        Assert.Equal(20, outcomes.Count(stored => stored));
        Assert.Equal(Limits.MaxConversationMessages, (await _store.FindAsync(id, owner: null, 0, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);
    }

    [Fact]
    public async Task Idle_conversations_are_deleted_with_their_messages_the_longest_idle_first_and_an_active_one_kept()
    {
        var idle = new List<Guid>();
        for (var day = 1; day <= 3; day++)
        {
            var id = await _store.CreateAsync($"key-{day}", Messages(1, 2), CancellationToken.None);
            await AgeAsync(id, new DateTimeOffset(2000, 1, day, 0, 0, 0, TimeSpan.Zero));
            idle.Add(id);
        }

        var active = await _store.CreateAsync(owner: null, Messages(1, 1), CancellationToken.None);
        var cutoff = new DateTimeOffset(2000, 2, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(2, await _store.DeleteIdleBeforeAsync(cutoff, 2, CancellationToken.None));
        Assert.Null(await _store.FindAsync(idle[0], owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None));
        Assert.Null(await _store.FindAsync(idle[1], owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None));
        Assert.NotNull(await _store.FindAsync(idle[2], owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None));
        Assert.Equal(1, await _store.DeleteIdleBeforeAsync(cutoff, 2, CancellationToken.None));
        Assert.Equal(0, await _store.DeleteIdleBeforeAsync(cutoff, 2, CancellationToken.None));

        await using var messages = _dataSource.CreateCommand("SELECT count(*) FROM chat_messages WHERE conversation_id = ANY($1)");
        messages.Parameters.Add(new() { Value = idle.ToArray() });
        Assert.Equal(0L, await messages.ExecuteScalarAsync());
        Assert.NotNull(await _store.FindAsync(active, owner: null, 10, Limits.ConversationWindowBytes, CancellationToken.None));
    }

    [Fact]
    public async Task An_idle_conversation_being_appended_to_is_left_for_a_later_round()
    {
        var id = await _store.CreateAsync(owner: null, Messages(1, 1), CancellationToken.None);
        await AgeAsync(id, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cutoff = new DateTimeOffset(2000, 2, 1, 0, 0, 0, TimeSpan.Zero);

        await using (var connection = await _dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            // What an append holds until it commits: the conversation's row.
            await using var hold = new NpgsqlCommand("SELECT 1 FROM chat_conversations WHERE id = $1 FOR UPDATE", connection, transaction) { Parameters = { new() { Value = id } } };
            await hold.ExecuteScalarAsync();

            Assert.Equal(0, await _store.DeleteIdleBeforeAsync(cutoff, 10, CancellationToken.None));
        }

        Assert.Equal(1, await _store.DeleteIdleBeforeAsync(cutoff, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_touched_conversation_is_active_from_then_and_only_its_owner_touches_it()
    {
        var owner = $"touch-{Guid.NewGuid():N}";
        var id = await _store.CreateAsync(owner, Messages(1, 1), CancellationToken.None);
        await AgeAsync(id, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.False(await _store.TouchAsync(id, "someone-else", CancellationToken.None));
        Assert.False(await _store.TouchAsync(Guid.NewGuid(), owner: null, CancellationToken.None));
        Assert.True(await _store.TouchAsync(id, owner, CancellationToken.None));

        Assert.Equal(0, await _store.DeleteIdleBeforeAsync(new DateTimeOffset(2000, 2, 1, 0, 0, 0, TimeSpan.Zero), 10, CancellationToken.None));
        Assert.NotNull(await _store.FindAsync(id, owner, 10, Limits.ConversationWindowBytes, CancellationToken.None));
    }

    private async Task AgeAsync(Guid conversationId, DateTimeOffset lastActive)
    {
        await using var age = _dataSource.CreateCommand("UPDATE chat_conversations SET created_at = $2, updated_at = $2 WHERE id = $1");
        age.Parameters.Add(new() { Value = conversationId });
        age.Parameters.Add(new() { Value = lastActive });
        await age.ExecuteNonQueryAsync();
    }

    private static List<ChatMessage> Messages(int first, int count) =>
        [.. Enumerable.Range(first, count).Select(i => new ChatMessage("user", $"{i}"))];
}

/// <summary>Past Limits.MaxListedItems the list counts no further and says so (a class of its own: 10,001 conversations).</summary>
public sealed class ConversationListLimitTests(ChatDatabaseFixture database) : IClassFixture<ChatDatabaseFixture>
{
    [Fact]
    public async Task The_total_stops_at_the_limit_and_says_it_is_not_exact()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new PostgresConversationStore(dataSource);
        var newest = await store.CreateAsync(owner: null, [new ChatMessage("user", "newest")], CancellationToken.None);
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO chat_conversations (id, created_at, updated_at) SELECT gen_random_uuid(), now() - interval '1 hour', now() - interval '1 hour' FROM generate_series(1, $1)"))
        {
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Limits.MaxListedItems });
            await insert.ExecuteNonQueryAsync();
        }

        var first = await store.ListAsync(owner: null, 1, 20, CancellationToken.None);

        Assert.Equal((Limits.MaxListedItems, false), (first.Total, first.TotalExact));
        Assert.Equal(newest, first.Items[0].Id);
        Assert.Equal("newest", first.Items[0].Title);
    }
}
