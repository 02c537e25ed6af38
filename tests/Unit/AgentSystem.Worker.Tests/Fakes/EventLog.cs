using System.Collections.Concurrent;

namespace AgentSystem.Worker.Tests.Fakes;

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

public static class Eventually
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Waits for a condition (checked every 10 ms) with a generous deadline; fails the test with what it waited for.</summary>
    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }
}
