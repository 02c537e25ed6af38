using AgentSystem.Chat.Model;
using AgentSystem.Chat.Storage;
using AgentSystem.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Chat.Tests;

public sealed class InMemoryConversationStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 21, 14, 0, 0, TimeSpan.Zero));
    private readonly InMemoryConversationStore _store;

    public InMemoryConversationStoreTests() => _store = new InMemoryConversationStore(_time);

    [Fact]
    public async Task Create_then_find_returns_the_messages_in_order()
    {
        var id = await _store.CreateAsync(owner: null, [new("user", "hi"), new("assistant", "hello")], CancellationToken.None);

        var conversation = await _store.FindAsync(id, owner: null, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, CancellationToken.None);

        Assert.NotNull(conversation);
        Assert.Equal(_time.GetUtcNow(), conversation.CreatedAt);
        Assert.Equal([new("user", "hi", _time.GetUtcNow()), new("assistant", "hello", _time.GetUtcNow())], conversation.Messages);
    }

    [Fact]
    public async Task Append_adds_after_the_last_message_with_its_own_time()
    {
        var id = await _store.CreateAsync(owner: null, [new("user", "one")], CancellationToken.None);
        var created = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(1));

        await _store.AppendAsync(id, owner: null, [new("assistant", "two"), new("user", "three")], CancellationToken.None);
        var conversation = await _store.FindAsync(id, owner: null, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, CancellationToken.None);

        Assert.Equal(["one", "two", "three"], conversation!.Messages.Select(m => m.Content));
        Assert.Equal([created, _time.GetUtcNow(), _time.GetUtcNow()], conversation.Messages.Select(m => m.CreatedAt));
        Assert.Equal(created, conversation.CreatedAt);
    }

    [Fact]
    public async Task A_found_conversation_does_not_change_afterwards()
    {
        var id = await _store.CreateAsync(owner: null, [new("user", "one")], CancellationToken.None);
        var before = await _store.FindAsync(id, owner: null, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, CancellationToken.None);

        await _store.AppendAsync(id, owner: null, [new("assistant", "two")], CancellationToken.None);

        Assert.Single(before!.Messages);
    }

    [Fact]
    public async Task Find_returns_the_last_messages_in_order_and_counts_them_all()
    {
        var id = await _store.CreateAsync(owner: null, [.. Enumerable.Range(1, 5).Select(i => new ChatMessage("user", $"{i}"))], CancellationToken.None);

        var conversation = await _store.FindAsync(id, owner: null, 2, Limits.ConversationWindowBytes, CancellationToken.None);

        Assert.Equal(["4", "5"], conversation!.Messages.Select(m => m.Content));
        Assert.Equal(5, conversation.MessageCount);
    }

    [Fact]
    public async Task Find_keeps_the_newest_messages_whose_text_fits_the_bytes_counted_in_utf8()
    {
        // 10, 10, 20 (ten two-byte characters) and 10 bytes: 30 hold the last two.
        var id = await _store.CreateAsync(owner: null, [new("user", new string('1', 10)), new("assistant", new string('2', 10)), new("user", new string('é', 10)), new("assistant", new string('4', 10))],
            CancellationToken.None);

        var window = await _store.FindAsync(id, owner: null, 10, 30, CancellationToken.None);
        var tooSmall = await _store.FindAsync(id, owner: null, 10, 9, CancellationToken.None);

        Assert.Equal([new string('é', 10), new string('4', 10)], window!.Messages.Select(m => m.Content));
        Assert.Equal(4, window.MessageCount);
        Assert.Empty(tooSmall!.Messages);
        Assert.Equal(4, tooSmall.MessageCount);
    }

    [Fact]
    public async Task An_append_past_the_limit_is_refused_and_stores_nothing()
    {
        var id = await _store.CreateAsync(owner: null, [new("user", "start")], CancellationToken.None);
        await _store.AppendAsync(id, owner: null, [.. Enumerable.Range(0, Limits.MaxConversationMessages - 3).Select(_ => new ChatMessage("user", "x"))], CancellationToken.None);

        await Assert.ThrowsAsync<ConversationFullException>(() => _store.AppendAsync(id, owner: null, [new("user", "a"), new("user", "b"), new("user", "c")], CancellationToken.None));
        await _store.AppendAsync(id, owner: null, [new("user", "a"), new("user", "b")], CancellationToken.None);

        Assert.Equal(Limits.MaxConversationMessages, (await _store.FindAsync(id, owner: null, 0, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);
        await Assert.ThrowsAsync<ConversationFullException>(() => _store.AppendAsync(id, owner: null, [new("user", "d")], CancellationToken.None));
    }

    [Fact]
    public async Task Unknown_ids_are_null_to_find_and_an_error_to_append()
    {
        Assert.Null(await _store.FindAsync(Guid.NewGuid(), owner: null, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.AppendAsync(Guid.NewGuid(), owner: null, [new ChatMessage("user", "x")], CancellationToken.None));
    }

    [Fact]
    public async Task The_list_is_ordered_by_the_last_message_then_the_id()
    {
        var older = await _store.CreateAsync(owner: null, [new("system", "be brief"), new("user", "older")], CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        var newer = await _store.CreateAsync(owner: null, [new("user", "newer")], CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await _store.AppendAsync(older, owner: null, [new("assistant", "reply")], CancellationToken.None);

        var page = await _store.ListAsync(owner: null, 1, 10, CancellationToken.None);

        Assert.Equal([older, newer], page.Items.Select(c => c.Id));
        Assert.Equal(new ConversationSummary(older, "older", _time.GetUtcNow() - TimeSpan.FromMinutes(2), _time.GetUtcNow(), 3), page.Items[0]);
        Assert.Equal((1, 10, 2L), (page.Page, page.PageSize, page.Total));
    }

    [Fact]
    public async Task A_conversation_without_a_user_message_has_an_empty_title()
    {
        await _store.CreateAsync(owner: null, [new("system", "only instructions")], CancellationToken.None);

        Assert.Equal("", Assert.Single((await _store.ListAsync(owner: null, 1, 10, CancellationToken.None)).Items).Title);
    }

    [Fact]
    public async Task Concurrent_appends_lose_nothing()
    {
        var id = await _store.CreateAsync(owner: null, [new("user", "start")], CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => _store.AppendAsync(id, owner: null, [new ChatMessage("user", $"{i}")], CancellationToken.None))));

        Assert.Equal(201, (await _store.FindAsync(id, owner: null, Limits.ConversationWindowMessages, Limits.ConversationWindowBytes, CancellationToken.None))!.MessageCount);
    }
}
