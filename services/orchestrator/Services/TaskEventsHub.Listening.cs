using AgentSystem.Queue;

namespace AgentSystem.Orchestrator.Services;

/// <summary>When the hub hears the task signals: from the first open stream until a while after the last one ended.</summary>
public sealed partial class TaskEventsHub
{
    /// <summary>Whether the hub hears the task signals now (diagnostics and tests).</summary>
    public bool Listening
    {
        get
        {
            lock (_gate)
            {
                return _signalSubscription is not null;
            }
        }
    }

    // The first stream's subscription to the signals (Redis away: it subscribes once Redis answers, then resyncs).
    private async Task ListenAsync()
    {
        IDisposable? listening = null;
        try
        {
            listening = await signals.SubscribeAsync(TaskSignal.Changed, OnChanged, ResyncAll, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // The periodic resync keeps the streams up to date meanwhile, and tries again (StartListening); a stop
            // cancels a subscription still being made, which is no failure.
            if (!_stopping.IsCancellationRequested)
            {
                LogListenFailed(logger, error);
            }
        }

        lock (_gate)
        {
            _subscribing = false;
            if (_stopped is null && listening is not null)
            {
                (_signalSubscription, listening) = (listening, null);
                if (_byTask.Count == 0)
                {
                    _idleSince = time.GetTimestamp();
                    _wake.TrySetResult();   // the loop counts the idle time from now
                }
            }

            // Stopped meanwhile: the process is going, and its multiplexer with it.
            listening?.Dispose();
        }

        ResyncAll();   // what changed before the subscription took effect
    }

    // Under the gate. Stops listening once no stream was open for ListenAfterLastStream; returns how long until it
    // would (MaxValue: not idle). The handle is disposed under the gate too, so that a stream opening next subscribes
    // only after the old handler's unsubscribe is through (StackExchange.Redis shares one subscription per channel).
    private TimeSpan StopListeningWhenIdle()
    {
        if (_signalSubscription is null || _byTask.Count > 0 || _idleSince is not { } since)
        {
            return TimeSpan.MaxValue;
        }

        var left = options.Value.ListenAfterLastStream - time.GetElapsedTime(since);
        if (left > TimeSpan.Zero)
        {
            return left;
        }

        _signalSubscription.Dispose();
        (_signalSubscription, _idleSince) = (null, null);
        return TimeSpan.MaxValue;
    }

    // Under the gate: whether to subscribe now (streams are open and no subscription stands or is being made: the first
    // stream's, or another try after one failed). The caller then runs ListenAsync outside the gate.
    private bool StartListening()
    {
        if (_byTask.Count == 0 || _signalSubscription is not null || _subscribing || _stopped is not null)
        {
            return false;
        }

        _subscribing = true;
        return true;
    }
}
