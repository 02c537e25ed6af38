using System.Globalization;

namespace AgentSystem.Chat.Model;

public static class ChatValidation
{
    public const int MaxMessages = 100;
    public const int MaxContentLength = 32 * 1024;

    /// <summary>Returns the errors keyed by JSON path ("messages", "messages[0].role"); empty when the request is valid.</summary>
    public static Dictionary<string, string[]> Validate(ChatRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.Messages is not { Count: > 0 } messages)
        {
            errors["messages"] = ["At least one message is required."];
            return errors;
        }

        if (messages.Count > MaxMessages)
        {
            errors["messages"] = [string.Create(CultureInfo.InvariantCulture, $"At most {MaxMessages} messages are allowed; this request has {messages.Count}.")];
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
            else if (content.Length > MaxContentLength)
            {
                errors[$"messages[{i}].content"] = [string.Create(CultureInfo.InvariantCulture, $"The content is limited to {MaxContentLength} characters.")];
            }
        }

        return errors;
    }
}
