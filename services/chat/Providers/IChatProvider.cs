using AgentSystem.Chat.Model;

namespace AgentSystem.Chat.Providers;

public interface IChatProvider
{
    /// <summary>Names the provider in answers and errors ("offline", "openai-compatible").</summary>
    string Name { get; }

    /// <exception cref="ChatProviderException">The provider failed or answered something unusable.</exception>
    Task<ChatMessage> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>The reply in pieces as the provider produces them; concatenated, they are the whole reply.</summary>
    /// <exception cref="ChatProviderException">The provider failed or answered something unusable.</exception>
    IAsyncEnumerable<string> StreamAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);
}

public sealed class ChatProviderException(string provider, string message, Exception? innerException = null) : Exception(message, innerException)
{
    public string Provider { get; } = provider;
}
