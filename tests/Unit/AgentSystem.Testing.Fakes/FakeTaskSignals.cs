using System.Collections.Concurrent;
using AgentSystem.Queue;

namespace AgentSystem.Testing.Fakes;

/// <summary>
/// ITaskSignals in memory: a publish reaches every subscriber of its kind at once (on the publisher's thread), unless
/// <see cref="Down"/> (Redis away: the signal is lost, as pub/sub loses it). <see cref="Resync"/> plays Redis coming back.
/// </summary>
public sealed class FakeTaskSignals : ITaskSignals
{
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();

    /// <summary>Every signal published, delivered or not.</summary>
    public ConcurrentQueue<(TaskSignal Signal, Guid Id)> Published { get; } = new();

    /// <summary>Publishes are lost while set.</summary>
    public bool Down { get; set; }

    public int Subscribers => _subscriptions.Count;

    /// <summary>While set, a subscription takes effect only once this completes (a slow SUBSCRIBE).</summary>
    public TaskCompletionSource? SubscribeGate { get; set; }

    public void Publish(TaskSignal signal, IReadOnlyCollection<Guid> ids)
    {
        foreach (var id in ids)
        {
            Published.Enqueue((signal, id));
            if (Down)
            {
                continue;
            }

            foreach (var subscription in _subscriptions.Keys.Where(s => s.Signal == signal))
            {
                subscription.OnSignal(id);
            }
        }
    }

    public async Task<IDisposable> SubscribeAsync(TaskSignal signal, Action<Guid> onSignal, Action onResync, CancellationToken cancellationToken)
    {
        if (SubscribeGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var subscription = new Subscription(this, signal, onSignal, onResync);
        _subscriptions[subscription] = 0;
        return subscription;
    }

    /// <summary>Tells every subscriber to read the truth again, as after a Redis reconnect.</summary>
    public void Resync()
    {
        foreach (var subscription in _subscriptions.Keys)
        {
            subscription.OnResync();
        }
    }

    private sealed record Subscription(FakeTaskSignals Owner, TaskSignal Signal, Action<Guid> OnSignal, Action OnResync) : IDisposable
    {
        public void Dispose() => Owner._subscriptions.TryRemove(this, out _);
    }
}
