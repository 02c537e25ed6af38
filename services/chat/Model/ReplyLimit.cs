using System.Text;
using AgentSystem.Contracts;
using Microsoft.Extensions.Logging;

namespace AgentSystem.Chat.Model;

/// <summary>
/// A provider's reply made storable as its pieces arrive: held to a chat message's size (it is stored, sent again as
/// history and may be an llm job's result, and a provider's own limit may be far larger: "repeat this 100,000 times"),
/// and what PostgreSQL's text (strict UTF-8) cannot hold, a NUL character or half of a surrogate pair, becomes U+FFFD.
/// A piece that ends in the first half of a pair keeps it back for the next piece, so a pair split between two pieces
/// stays whole and a cut never falls between its halves.
/// </summary>
public sealed partial class ReplyLimit(int maxBytes = Limits.MaxChatMessageBytes)
{
    private const char Replacement = '\uFFFD';

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

    /// <summary>A reply was cut (the answer says so too): for whoever runs the service, as a cut llm job result is silent.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Provider} provider's reply was cut at {MaxBytes} bytes, a chat message's limit (the answer says truncated)")]
    public static partial void LogTruncated(ILogger logger, string provider, int maxBytes);

    /// <summary>What to pass on of the next piece (empty once <see cref="Truncated"/>).</summary>
    public string Take(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Truncated)
        {
            return "";
        }

        var text = _held + piece;
        _held = text.Length > 0 && char.IsHighSurrogate(text[^1]) ? text[^1..] : "";
        return Keep(Storable(text[..^_held.Length]));
    }

    /// <summary>What is held back when the reply ends: a first half that no second followed, as U+FFFD.</summary>
    public string End()
    {
        var rest = Truncated || _held.Length == 0 ? "" : Keep(Replacement.ToString());
        _held = "";
        return rest;
    }

    /// <summary>NUL and every half of a pair without its other half as U+FFFD; a string with neither is returned as is.</summary>
    private static string Storable(string text)
    {
        StringBuilder? fixedText = null;
        for (var i = 0; i < text.Length; i++)
        {
            var paired = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (paired)
            {
                fixedText?.Append(text, i, 2);
                i++;
                continue;
            }

            var bad = text[i] == '\0' || char.IsSurrogate(text[i]);
            if (bad && fixedText is null)
            {
                fixedText = new StringBuilder(text.Length).Append(text, 0, i);
            }

            fixedText?.Append(bad ? Replacement : text[i]);
        }

        return fixedText?.ToString() ?? text;
    }

    // The longest start of a storable text within the bytes left, never half a pair.
    private string Keep(string text)
    {
        var (length, bytes) = (0, 0);
        while (length < text.Length)
        {
            var width = char.IsHighSurrogate(text[length]) ? 2 : 1;
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
