namespace AgentSystem.Chat.Model;

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

        for (var i = 0; i < messages.Count; i++)
        {
            if (!ChatRoles.IsKnown(messages[i]?.Role))
            {
                errors[$"messages[{i}].role"] = [$"The role must be one of {ChatRoles.System}, {ChatRoles.User}, {ChatRoles.Assistant}."];
            }

            if (messages[i]?.Content is null)
            {
                errors[$"messages[{i}].content"] = ["The content is required."];
            }
        }

        return errors;
    }
}
