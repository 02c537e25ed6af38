using System.Globalization;
using System.Text;

namespace AgentSystem.Contracts;

/// <summary>
/// The limits docs/api.md promises, each defined here once: the orchestrator checks a task against them at submit,
/// chat every message, the worker a job when it runs, the gateway the body. Text is measured in bytes of UTF-8.
/// </summary>
public static class Limits
{
    public const int MaxJobsPerTask = 100;

    public const int MaxJobInputBytes = 64 * 1024;

    /// <summary>
    /// All of a task's inputs together (UTF-8 bytes). A task is read and sent whole (its GET, every event of its stream),
    /// results beside inputs, and an echo's result is its input: 100 inputs of 64 KiB made a task of 13 MB, sent again at
    /// each of its 200 changes. It bounds the inputs, not the whole task: 100 llm jobs may still bring 100 replies of
    /// <see cref="MaxChatMessageBytes"/>.
    /// </summary>
    public const int MaxTaskInputBytes = 1024 * 1024;

    public const int MaxGoalBytes = 64 * 1024;

    /// <summary>The largest input of a <c>sleep</c> job, in milliseconds.</summary>
    public const int MaxSleepMilliseconds = 60_000;

    /// <summary>Messages in one chat request.</summary>
    public const int MaxChatMessages = 100;

    public const int MaxChatMessageBytes = 32 * 1024;

    /// <summary>Messages one conversation may hold: appending past it is refused (start a new conversation).</summary>
    public const int MaxConversationMessages = 1000;

    /// <summary>
    /// The most recent messages of a conversation that are read: what the provider sees as history and what
    /// <c>GET /chat/conversations/{id}</c> returns; never a whole long conversation in memory.
    /// </summary>
    public const int ConversationWindowMessages = 100;

    /// <summary>
    /// And of those, as many of the newest as hold at most this much text (UTF-8 bytes; 8 messages of the largest size):
    /// a read conversation held while a slow client takes it costs at most about this much, not 100 x 32 KiB.
    /// </summary>
    public const int ConversationWindowBytes = 256 * 1024;

    /// <summary>
    /// The newest items a list (tasks, conversations) counts and pages through: each counted or skipped row costs a read,
    /// and every open task list in a browser asks again each 2 s. Beyond it the total is "at least" and pages end.
    /// </summary>
    public const int MaxListedItems = 10_000;

    /// <summary>A list's total from a count that stopped one past <see cref="MaxListedItems"/>, and whether it is exact.</summary>
    public static (long Total, bool Exact) ListedTotal(long counted) => (Math.Min(counted, MaxListedItems), counted <= MaxListedItems);

    /// <summary>How many rows page <paramref name="page"/> holds at most: the page that straddles the limit ends at it.</summary>
    public static int ListedOnPage(int page, int pageSize) => (int)Math.Clamp(MaxListedItems - ((page - 1L) * pageSize), 0, pageSize);

    /// <summary>Why page <paramref name="page"/> of <paramref name="items"/> ("tasks") is not served, or null when it is.</summary>
    public static string? BeyondListed(int page, int pageSize, string items) =>
        (page - 1L) * pageSize < MaxListedItems
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"Pages reach the newest {MaxListedItems:N0} {items}: with pageSize {pageSize}, up to page {(MaxListedItems + pageSize - 1) / pageSize}.");

    /// <summary>
    /// Largest request body, by default, at the gateway and the services behind it: the largest task (1 MiB of inputs)
    /// fits even with every character escaped (six bytes each).
    /// </summary>
    public const long MaxRequestBodyBytes = 8 * 1024 * 1024;

    /// <summary>
    /// The most running a job can store, in UTF-8 bytes: its result or error (an echo's result and a fail's error are its
    /// input; the other types' results are short, and so is an error a handler throws), and for an llm job its reply and
    /// the conversation chat keeps of it (its input and the reply again), which counts against no key in chat.
    /// </summary>
    public static int MaxBytesAddedByRun(string jobType, int inputBytes) => jobType switch
    {
        JobTypes.Echo or JobTypes.Fail => inputBytes,
        JobTypes.Llm => MaxChatMessageBytes + inputBytes + MaxChatMessageBytes,
        _ => MaxShortOutcomeBytes,
    };

    /// <summary>What <see cref="MaxBytesAddedByRun"/> allows a result or error that is not sized by its input.</summary>
    public const int MaxShortOutcomeBytes = 1024;

    public static int Utf8Bytes(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);

    /// <summary>The largest input of a job of this type: an <c>llm</c> job's input is one chat message.</summary>
    public static int MaxInputBytes(string? jobType) => jobType == JobTypes.Llm ? MaxChatMessageBytes : MaxJobInputBytes;

    /// <summary>
    /// Why <paramref name="text"/> cannot be stored as <paramref name="what"/> ("the input"), or null when it can:
    /// PostgreSQL's text holds every Unicode character but U+0000, and the size is bounded.
    /// </summary>
    public static string? TextProblem(string text, int maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(text);

        if (text.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Capitalise(what)} contains a NUL character (U+0000) at position {nul}; text may hold any other character.");
        }

        return Encoding.UTF8.GetByteCount(text) is var bytes && bytes > maxBytes
            ? string.Create(CultureInfo.InvariantCulture, $"{Capitalise(what)} is {bytes:N0} bytes of UTF-8; at most {BytesText(maxBytes)} are allowed.")
            : null;
    }

    /// <summary>"65,536 bytes (64 KiB)", "1,000 bytes".</summary>
    public static string BytesText(long bytes) => bytes >= 1024 && bytes % 1024 == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes ({bytes / 1024:N0} KiB)")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");

    private static string Capitalise(string text) => text.Length == 0 ? text : string.Concat(text[..1].ToUpperInvariant(), text.AsSpan(1));
}
