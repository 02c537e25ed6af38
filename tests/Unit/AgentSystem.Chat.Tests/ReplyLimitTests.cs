using System.Text;
using AgentSystem.Chat.Model;

namespace AgentSystem.Chat.Tests;

public sealed class ReplyLimitTests
{
    [Fact]
    public void A_reply_within_the_limit_passes_whole_with_nul_made_storable()
    {
        Assert.Equal(("a\uFFFDb", false), ReplyLimit.Apply("a\0b", maxBytes: 10));
    }

    [Fact]
    public void A_reply_past_the_limit_is_cut_at_a_character_and_said_to_be()
    {
        // 'é' is two bytes: five fit in 11, not half of the sixth.
        Assert.Equal(("ééééé", true), ReplyLimit.Apply("éééééé", maxBytes: 11));
    }

    [Fact]
    public void A_pair_split_between_two_pieces_is_kept_whole_or_left_out_whole()
    {
        const string Face = "\U0001F600";   // four bytes in UTF-8, two chars in UTF-16
        var limit = new ReplyLimit(maxBytes: 6);

        var first = limit.Take("a" + Face[0]);   // the first half waits for the second
        var second = limit.Take(Face[1] + "b");

        Assert.Equal(("a", Face + "b"), (first, second));
        Assert.False(limit.Truncated);

        var tight = new ReplyLimit(maxBytes: 4);
        var kept = tight.Take("a" + Face[0]) + tight.Take(Face[1] + "b") + tight.End();

        Assert.Equal("a", kept);   // no lone half at the cut
        Assert.True(tight.Truncated);
        Assert.True(Encoding.UTF8.GetByteCount(kept) <= 4);
    }

    [Fact]
    public void After_a_cut_nothing_more_is_taken_and_a_half_held_at_the_end_is_passed_on_if_it_fits()
    {
        var limit = new ReplyLimit(maxBytes: 3);
        Assert.Equal("abc", limit.Take("abcd"));
        Assert.Equal("", limit.Take("e"));
        Assert.Equal("", limit.End());

        var open = new ReplyLimit(maxBytes: 10);
        Assert.Equal("a", open.Take("a\uD83D"));
        Assert.Equal("\uFFFD", open.End());   // its stream ended there: a half PostgreSQL could not store
    }

    [Fact]
    public void Halves_without_their_pair_become_replacement_characters_as_nul_does()
    {
        // Not [InlineData]: xUnit passes a theory's strings through UTF-8, which would replace the halves first.
        (string Reply, string Stored)[] cases =
        [
            ("a\uD83Dx", "a\uFFFDx"),                            // a first half followed by no second
            ("\uDE00b", "\uFFFDb"),                              // a second half with no first
            ("a\0b\uD83D\uDE00", "a\uFFFDb\uD83D\uDE00"),     // NUL, and a whole pair kept
        ];
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);

        foreach (var (reply, stored) in cases)
        {
            var (content, truncated) = ReplyLimit.Apply(reply);

            Assert.Equal((stored, false), (content, truncated));
            Assert.Equal(content, strict.GetString(strict.GetBytes(content)));   // what PostgreSQL's UTF-8 takes
        }
    }
}
