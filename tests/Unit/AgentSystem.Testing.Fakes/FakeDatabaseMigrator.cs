using AgentSystem.Store;

namespace AgentSystem.Testing.Fakes;

/// <summary>IDatabaseMigrator in memory: applies <paramref name="toApply"/> on its first run and nothing after (a second
/// run finds the schema current), or throws <see cref="FailWith"/>; counts its runs.</summary>
public sealed class FakeDatabaseMigrator(params string[] toApply) : IDatabaseMigrator
{
    public Exception? FailWith { get; set; }

    public int Calls { get; private set; }

    public IReadOnlyList<string> Tables { get; } = ["tasks"];

    public string HistoryTable => "schema_migrations";

    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        Calls++;
        if (FailWith is { } error)
        {
            throw error;
        }

        IReadOnlyList<string> applied = Calls == 1 ? toApply : [];
        return Task.FromResult(applied);
    }
}
