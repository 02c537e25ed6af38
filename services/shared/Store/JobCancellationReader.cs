using Npgsql;

namespace AgentSystem.Store;

/// <summary><see cref="IJobCancellationReader"/> on PostgreSQL.</summary>
public sealed class JobCancellationReader(NpgsqlDataSource dataSource) : IJobCancellationReader
{
    private const string SelectCancelled = "SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'cancelled'";

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public async Task<IReadOnlySet<Guid>> FindCancelledAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var cancelled = new HashSet<Guid>();
        if (jobIds.Count == 0)
        {
            return cancelled;
        }

        var command = _dataSource.CreateCommand(SelectCancelled);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. jobIds]));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    cancelled.Add(reader.GetGuid(0));
                }
            }
        }

        return cancelled;
    }
}
