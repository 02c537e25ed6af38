using AgentSystem.Chat.Model;

namespace AgentSystem.Chat.Providers;

public interface IChatProvider
{
    string Name { get; }

    Task<ChatMessage> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);
}
