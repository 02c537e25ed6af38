using System.Text;
using AgentSystem.Contracts;

namespace AgentSystem.Chat.Model;

/// <summary>
/// A provider's reply made storable as its pieces arrive: held to a chat message's size (it is stored, sent again as
/// history and may be an llm job's result, and a provider's own limit may be far larger: "repeat this 100,000 times"),
/// and a NUL character, which PostgreSQL's text cannot hold, becomes U+FFFD. Never half a surrogate pair: a piece that
/// ends in the first half of one keeps it back for the next piece, so a cut cannot fall between the two.
/// </summary>
public sealed class ReplyLimit(int maxBytes = Limits.MaxChatMessageBytes)
{
    private int _left = maxBytes;
    private string _held = "";

    /// <summary>True once part of the reply was left out: what follows is not taken.</summary>
    public bool Truncated { get; private set; }

    /// <summary>The whole of a reply, made storable.</summary>
    public static (string Content, bool Truncated) Apply(string reply, int maxBytes = Limits.MaxChatMessageBytes)
    {
        var limit = new ReplyLimit(maxBytes);
        var content = limit.Take(reply) + limit.End();
        return (content, limit.Truncated);
    }

    /// <summary>What to pass on of the next piece (empty once <see cref="Truncated"/>).</summary>
    public string Take(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Truncated)
        {
            return "";
        }

        var text = _held + piece.Replace('\0', '\uFFFD');
        _held = text.Length > 0 && char.IsHighSurrogate(text[^1]) ? text[^1..] : "";
        return Keep(text[..^_held.Length]);
    }

    /// <summary>What is held back when the reply ends (a first half of a pair with no second, as the provider sent it).</summary>
    public string End()
    {
        var rest = Truncated ? "" : Keep(_held);
        _held = "";
        return rest;
    }

    private string Keep(string text)
    {
        var (length, bytes) = (0, 0);
        while (length < text.Length)
        {
            var width = char.IsHighSurrogate(text[length]) && length + 1 < text.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(length, width));
            if (bytes + size > _left)
            {
                Truncated = true;
                break;
            }

            (length, bytes) = (length + width, bytes + size);
        }

        _left -= bytes;
        return text[..length];
    }
}
