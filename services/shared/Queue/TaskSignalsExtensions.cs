namespace AgentSystem.Queue;

public static class TaskSignalsExtensions
{
    /// <summary>Announces one changed task or job id (<see cref="ITaskSignals.Publish"/>).</summary>
    public static void Publish(this ITaskSignals signals, TaskSignal signal, Guid id)
    {
        ArgumentNullException.ThrowIfNull(signals);
        signals.Publish(signal, [id]);
    }
}
