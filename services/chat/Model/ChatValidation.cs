using AgentSystem.Contracts;

namespace AgentSystem.Chat.Model;

/// <summary>The rules of <c>POST /chat</c>, with the limits of <see cref="Limits"/> (an llm job's input is one such message).</summary>
public static class ChatValidation
{
    /// <summary>Returns the errors keyed by JSON path ("messages", "messages[0].role"); empty when the request is valid.</summary>
    public static Dictionary<string, string[]> Validate(ChatRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.Messages is not { Count: > 0 } messages)
        {
            errors["messages"] = ["At least one message is required."];
            return errors;
        }

        if (messages.Count > Limits.MaxChatMessages)
        {
            errors["messages"] = [$"At most {Limits.MaxChatMessages} messages are allowed; this request has {messages.Count}."];
            return errors;
        }

        for (var i = 0; i < messages.Count; i++)
        {
            if (!ChatRoles.IsKnown(messages[i]?.Role))
            {
                errors[$"messages[{i}].role"] = [$"The role must be one of {ChatRoles.System}, {ChatRoles.User}, {ChatRoles.Assistant}."];
            }

            if (messages[i]?.Content is not { } content)
            {
                errors[$"messages[{i}].content"] = ["The content is required."];
            }
            else if (Limits.TextProblem(content, Limits.MaxChatMessageBytes, "the content") is { } problem)
            {
                errors[$"messages[{i}].content"] = [problem];
            }
        }

        return errors;
    }
}
