using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;

namespace AgentSystem.Chat.Tests;

public sealed class OfflineChatProviderTests
{
    private readonly OfflineChatProvider _provider = new();

    [Fact]
    public async Task Reply_says_offline_and_echoes_the_last_user_message()
    {
        var reply = await _provider.CompleteAsync(
            [new("user", "first question"), new("assistant", "an answer"), new("user", "  what is   two plus two? ")],
            CancellationToken.None);

        Assert.Equal("assistant", reply.Role);
        Assert.Equal("[offline] No language model is configured. You said (5 words): \"what is two plus two?\"", reply.Content);
    }

    [Fact]
    public async Task Same_messages_give_the_same_reply()
    {
        ChatMessage[] messages = [new("system", "be brief"), new("user", "hello there")];

        var first = await _provider.CompleteAsync(messages, CancellationToken.None);
        var second = await new OfflineChatProvider().CompleteAsync(messages, CancellationToken.None);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Long_messages_are_cut_to_the_summary_length()
    {
        var reply = await _provider.CompleteAsync([new("user", new string('x', 500))], CancellationToken.None);

        Assert.EndsWith($"\"{new string('x', OfflineChatProvider.SummaryLength - 1)}…\"", reply.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_user_message_the_reply_says_so()
    {
        var reply = await _provider.CompleteAsync([new("system", "be brief")], CancellationToken.None);

        Assert.Contains("no user message", reply.Content, StringComparison.Ordinal);
    }
}

public sealed class OfflineChatProviderStreamTests
{
    [Fact]
    public async Task Stream_yields_the_same_reply_a_word_at_a_time()
    {
        var provider = new OfflineChatProvider();
        ChatMessage[] messages = [new("user", "  what is   two plus two? ")];

        var whole = await provider.CompleteAsync(messages, CancellationToken.None);
        var pieces = await provider.StreamAsync(messages, CancellationToken.None).ToListAsync();

        Assert.Equal(whole.Content, string.Concat(pieces));
        Assert.Equal(whole.Content.Split(' ').Length, pieces.Count);
        Assert.All(pieces, piece => Assert.Single(piece.Trim().Split(' ')));
    }
}
