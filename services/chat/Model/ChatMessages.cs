using System.Text.Json.Serialization;

namespace AgentSystem.Chat.Model;

public sealed record ChatMessage(string Role, string Content);

/// <summary>Without <paramref name="ConversationId"/> a new conversation starts; with one, <paramref name="Messages"/> continue it.</summary>
public sealed record ChatRequest(Guid? ConversationId, IReadOnlyList<ChatMessage?>? Messages, bool Stream);

/// <summary><paramref name="Truncated"/> (written only when true): the reply was cut at a chat message's size (<see cref="ReplyLimit"/>).</summary>
public sealed record ChatResponse(
    Guid ConversationId, string Provider, ChatMessage Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Truncated = false);

/// <summary>One <c>data:</c> event of a streamed reply.</summary>
public sealed record ChatDelta(string Delta);

/// <summary>The last <c>data:</c> event of a streamed reply before <c>[DONE]</c>; <paramref name="Truncated"/> as in <see cref="ChatResponse"/>.</summary>
public sealed record ChatStreamEnd(
    Guid ConversationId, string Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Truncated = false);

public sealed record StoredChatMessage(string Role, string Content, DateTimeOffset CreatedAt);

/// <summary>
/// A conversation as read: its last <see cref="AgentSystem.Contracts.Limits.ConversationWindowMessages"/> messages (as
/// many as fit <see cref="AgentSystem.Contracts.Limits.ConversationWindowBytes"/>), in order, and how many it holds in
/// all (<paramref name="MessageCount"/>).
/// </summary>
public sealed record Conversation(Guid Id, DateTimeOffset CreatedAt, IReadOnlyList<StoredChatMessage> Messages, int MessageCount);

/// <summary>An item of <c>GET /chat/conversations</c>: <paramref name="Title"/> is the start of the first user message.</summary>
public sealed record ConversationSummary(Guid Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int MessageCount)
{
    /// <summary>How much of the first user message a title keeps.</summary>
    public const int TitleLength = 100;
}

/// <summary>
/// One page of conversations, the most recently active first. <see cref="Total"/> counts up to
/// <see cref="AgentSystem.Contracts.Limits.MaxListedItems"/>; beyond it <see cref="TotalExact"/> is false.
/// </summary>
public sealed record ConversationPage(IReadOnlyList<ConversationSummary> Items, int Page, int PageSize, long Total, bool TotalExact);

public static class ChatRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    public static bool IsKnown(string? role) => role is System or User or Assistant;
}
