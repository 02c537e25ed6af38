using AgentSystem.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentSystem.Store;

/// <summary>
/// <see cref="IJobRepository"/> on PostgreSQL. Every write is a guarded UPDATE (it changes a job only while the job is
/// not final), so a job delivered twice counts once, and rolls its task up in the same transaction.
/// </summary>
public sealed class JobRepository(NpgsqlDataSource dataSource) : IJobRepository
{
    private const string Start = $"""
        UPDATE jobs SET status = 'running', attempts = GREATEST(attempts, @attempt), started_at = now()
        WHERE id = @job AND status NOT IN {StoreSql.FinalJobStates}
        """;

    private const string Complete = $"""
        UPDATE jobs SET status = 'succeeded', result = @result, error = NULL, finished_at = now()
        WHERE id = @job AND status NOT IN {StoreSql.FinalJobStates}
        """;

    // Retried: queued again (the queue holds the new delivery, hence enqueued_at); final: failed or dead.
    private const string FailRetry = $"""
        UPDATE jobs SET status = 'queued', error = @error, enqueued_at = now()
        WHERE id = @job AND status NOT IN {StoreSql.FinalJobStates}
        """;

    private const string FailFinal = $"""
        UPDATE jobs SET status = @status, error = @error, finished_at = now()
        WHERE id = @job AND status NOT IN {StoreSql.FinalJobStates}
        """;

    private readonly NpgsqlDataSource dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public async Task<JobStart> StartAsync(Guid jobId, int attempt, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var changed = await WriteAsync(jobId, Start, [new NpgsqlParameter<int>("attempt", attempt)], cancellationToken).ConfigureAwait(false);

        // Running again is allowed: a redelivery after a lost lease must run. Cancelled, final or unknown: skip.
        return changed ? JobStart.Run : JobStart.Skip;
    }

    public Task<bool> CompleteAsync(Guid jobId, string result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        return WriteAsync(jobId, Complete, [new NpgsqlParameter<string>("result", result)], cancellationToken);
    }

    public Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken)
    {
        var error = string.IsNullOrEmpty(reason)
            ? new NpgsqlParameter<string>("error", NpgsqlDbType.Text) { TypedValue = null }
            : new NpgsqlParameter<string>("error", reason);
        return newState switch
        {
            JobState.Queued => WriteAsync(jobId, FailRetry, [error], cancellationToken),
            JobState.Failed or JobState.Dead => WriteAsync(jobId, FailFinal, [error, new NpgsqlParameter<string>("status", newState.Name())], cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(newState), newState, "A failure leaves a job queued (retried), failed or dead."),
        };
    }

    /// <summary>Lock the task, change the job if it is not final, roll the task up: one round trip, then commit.</summary>
    private async Task<bool> WriteAsync(Guid jobId, string update, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var change = new NpgsqlBatchCommand(update) { Parameters = { new NpgsqlParameter<Guid>("job", jobId) } };
                foreach (var parameter in parameters)
                {
                    change.Parameters.Add(parameter);
                }

                var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand(StoreSql.LockTaskOfJob) { Parameters = { new NpgsqlParameter<Guid>("job", jobId) } },
                        change,
                        new NpgsqlBatchCommand(StoreSql.RollUpTaskOfJob) { Parameters = { new NpgsqlParameter<Guid>("job", jobId) } },
                    },
                };
                await using (batch.ConfigureAwait(false))
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (change.RecordsAffected == 0)
                {
                    // Already final (or unknown): the roll-up's touch of updated_at is undone with the rest.
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }
}
