using System.Collections.Concurrent;

namespace AgentSystem.Testing.Fakes;

/// <summary>What the fakes did, in order, shared by the queue and the store: "start:{id}", "complete:{id}", "ack:{id}"...</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    public void Add(string entry) => _entries.Enqueue(entry);

    public int IndexOf(string entry) => Entries.ToList().IndexOf(entry);

    public int Count(string entry) => Entries.Count(e => e == entry);

    public override string ToString() => string.Join(", ", Entries);
}
