using System.Globalization;
using System.Text.RegularExpressions;
using AgentSystem.Chat.Model;

namespace AgentSystem.Chat.Providers;

/// <summary>The default provider: no model, no network. Same messages in, same reply out, so tests and demos can rely on it.</summary>
public sealed partial class OfflineChatProvider : IChatProvider
{
    public const string ProviderName = "offline";
    public const int SummaryLength = 80;

    public string Name => ProviderName;

    public Task<ChatMessage> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken) =>
        Task.FromResult(new ChatMessage(ChatRoles.Assistant, Reply(messages)));

    /// <summary>The same reply as <see cref="CompleteAsync"/>, a word (with the spaces after it) at a time.</summary>
    public IAsyncEnumerable<string> StreamAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken) =>
        Word().Matches(Reply(messages)).Select(match => match.Value).ToAsyncEnumerable();

    private static string Reply(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var last = messages.LastOrDefault(m => m.Role == ChatRoles.User)?.Content;
        return last is null
            ? "[offline] No language model is configured, and there is no user message to answer."
            : $"[offline] No language model is configured. You said ({Words(last)}): \"{Summarize(last)}\"";
    }

    private static string Words(string text)
    {
        var count = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        return count == 1 ? "1 word" : string.Create(CultureInfo.InvariantCulture, $"{count} words");
    }

    private static string Summarize(string text)
    {
        var oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= SummaryLength ? oneLine : string.Concat(oneLine.AsSpan(0, SummaryLength - 1), "…");
    }

    [GeneratedRegex(@"\s*\S+\s*")]
    private static partial Regex Word();
}
