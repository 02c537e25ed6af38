using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSystem.Chat.Providers;

/// <summary>
/// A provider's text that may hold half of a surrogate pair as a <c>\u</c> escape: a server that cuts a reply into
/// pieces of UTF-16 can send an emoji's halves in two chunks ("\ud83d", then "\ude00"), which System.Text.Json refuses
/// to read as a string (helper-62). The half is kept, so the pieces join again; <see cref="Model.ReplyLimit"/> holds a
/// trailing high half for the next piece and replaces one left alone.
/// </summary>
public sealed class SurrogateTolerantString : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a string, not {reader.TokenType}.");
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException) when (reader.ValueIsEscaped)
        {
            return Unescape(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    // The reader has checked the escapes' syntax: a backslash is followed by one of "\/bfnrt or by u and four hex digits.
    public static string Unescape(ReadOnlySpan<byte> raw)
    {
        var text = new StringBuilder(raw.Length);
        while (!raw.IsEmpty)
        {
            var backslash = raw.IndexOf((byte)'\\');
            text.Append(Encoding.UTF8.GetString(backslash < 0 ? raw : raw[..backslash]));
            if (backslash < 0)
            {
                break;
            }

            var escaped = (char)raw[backslash + 1];
            raw = raw[(backslash + 2)..];
            if (escaped == 'u')
            {
                text.Append((char)int.Parse(raw[..4], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                raw = raw[4..];
                continue;
            }

            text.Append(escaped switch { 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => escaped });
        }

        return text.ToString();
    }
}
