using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace AgentSystem.Worker.Handlers;

public sealed class JobHandlerRegistry
{
    private readonly FrozenDictionary<string, IJobHandler> _handlers;

    public JobHandlerRegistry(IEnumerable<IJobHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);

        var byType = new Dictionary<string, IJobHandler>(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            if (!byType.TryAdd(handler.Type, handler))
            {
                throw new InvalidOperationException(
                    $"Two job handlers claim type '{handler.Type}': {byType[handler.Type].GetType().Name} and {handler.GetType().Name}. Register one.");
            }
        }

        _handlers = byType.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Types => _handlers.Keys;

    public bool TryGet(string type, [NotNullWhen(true)] out IJobHandler? handler) => _handlers.TryGetValue(type, out handler);
}
