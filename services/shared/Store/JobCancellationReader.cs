using Npgsql;

namespace AgentSystem.Store;

/// <summary><see cref="IJobCancellationReader"/> on PostgreSQL.</summary>
public sealed class JobCancellationReader(NpgsqlDataSource dataSource) : IJobCancellationReader
{
    private const string SelectCancelled = "SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'cancelled'";

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public Task<IReadOnlySet<Guid>> FindCancelledAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        StoreSql.ReadIdsAsync(_dataSource, SelectCancelled, jobIds, cancellationToken);
}
