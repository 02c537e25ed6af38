namespace AgentSystem.Chat.Model;

public sealed record ChatMessage(string Role, string Content);

public sealed record ChatRequest(IReadOnlyList<ChatMessage?>? Messages);

public sealed record ChatResponse(string Provider, ChatMessage Message);

public static class ChatRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    public static bool IsKnown(string? role) => role is System or User or Assistant;
}
