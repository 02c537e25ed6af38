using System.Runtime.CompilerServices;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;

namespace AgentSystem.Chat.Tests.Fakes;

/// <summary>
/// A provider that streams a script: a string is a piece, <see cref="Wait"/> waits until the test calls
/// <see cref="Release"/>, an exception is thrown where it stands.
/// </summary>
public sealed class ScriptedProvider(params object[] script) : IChatProvider
{
    public const string ProviderName = "scripted";

    public static readonly object Wait = new();

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    public string Name => ProviderName;

    /// <summary>How often it was asked (either way).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public void Release() => _gate.TrySetResult();

    public Task<ChatMessage> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(new ChatMessage(ChatRoles.Assistant, string.Concat(script.OfType<string>())));
    }

    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<ChatMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        foreach (var step in script)
        {
            switch (step)
            {
                case string piece:
                    yield return piece;
                    break;
                case Exception error:
                    throw error;
                default:
                    await _gate.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                    break;
            }
        }
    }
}
