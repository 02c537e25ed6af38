using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Tests.Fakes;

public sealed class FakeDatabaseMigrator(params string[] toApply) : IDatabaseMigrator
{
    public Exception? FailWith { get; set; }

    public int Calls { get; private set; }

    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        Calls++;
        if (FailWith is { } error)
        {
            throw error;
        }

        // Applied once: a second run finds the schema current.
        IReadOnlyList<string> applied = Calls == 1 ? toApply : [];
        return Task.FromResult(applied);
    }
}
