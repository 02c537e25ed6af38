using AgentSystem.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentSystem.Store;

/// <summary>
/// <see cref="IJobRepository"/> on PostgreSQL. Every write is a guarded UPDATE (it changes a job only while the job is
/// not final), so a job delivered twice counts once, and rolls its task up in the same transaction. The events hub relies
/// on it too: it does not read again the result of a job it holds final (TaskVersion.SettledJobs). Starts and results
/// come in batches: one round trip (one UPDATE from arrays, taking the jobs' row locks in id order, their dispatch rows
/// deleted, then the changed jobs' tasks locked in id order, the roll-up) for any number of jobs.
/// </summary>
public sealed class JobRepository(NpgsqlDataSource dataSource) : IJobRepository
{
    // Running again is allowed: a redelivery after a lost lease must run. Cancelled, final or unknown: not returned.
    // The start is the mark's moment less how long the job had run by then (it is marked only once it runs long).
    private const string Start = $"""
        UPDATE jobs AS j SET status = 'running', attempts = GREATEST(j.attempts, u.attempt), started_at = c.at - u.elapsed
        FROM (SELECT * FROM unnest(@ids, @attempts, @elapsed) AS u (id, attempt, elapsed) ORDER BY id) AS u
            CROSS JOIN (SELECT clock_timestamp() AS at) AS c
        WHERE j.id = u.id AND j.status NOT IN {StoreSql.FinalJobStates}
        RETURNING j.id
        """;

    private const string Runnable = $"SELECT id FROM jobs WHERE id = ANY(@ids) AND status NOT IN {StoreSql.FinalJobStates}";

    // clock_timestamp(), not now(): the moment this statement ran (after its locks), not when the batch's transaction
    // began; read once, so a row's start and finish differ by exactly its elapsed time. A job this delivery marked
    // running keeps that start; one that finished before it was marked (most do) gets its start from the elapsed time.
    private const string Complete = $"""
        UPDATE jobs AS j SET status = 'succeeded', result = u.result, error = NULL, finished_at = c.at,
            attempts = GREATEST(j.attempts, u.attempt),
            started_at = CASE WHEN j.status = 'running' AND j.attempts = u.attempt THEN j.started_at ELSE c.at - u.elapsed END
        FROM (SELECT * FROM unnest(@ids, @results, @attempts, @elapsed) AS u (id, result, attempt, elapsed) ORDER BY id) AS u
            CROSS JOIN (SELECT clock_timestamp() AS at) AS c
        WHERE j.id = u.id AND j.status NOT IN {StoreSql.FinalJobStates}
        RETURNING j.id
        """;

    // Retried: queued again, and the queue holds the new delivery (so its dispatch row is marked sent now); final: failed
    // or dead. The dispatch row is written after the job's, whose lock orders the writers of one job.
    private const string FailRetry = $"""
        UPDATE jobs SET status = 'queued', error = @error
        WHERE id = @job AND status NOT IN {StoreSql.FinalJobStates}
        """;

    private const string MarkRetrySent = """
        INSERT INTO job_dispatch (job_id, enqueued_at) VALUES (@job, now())
        ON CONFLICT (job_id) DO UPDATE SET enqueued_at = excluded.enqueued_at
        """;

    private const string FailFinal = $"""
        UPDATE jobs SET status = @status, error = @error, finished_at = now()
        WHERE id = @job AND status NOT IN {StoreSql.FinalJobStates}
        """;

    // Not "not final": a retry may have queued it again meanwhile, with its next delivery in Redis (helper-142).
    private const string MarkLostDead = """
        UPDATE jobs SET status = 'dead', error = @error, finished_at = now()
        WHERE id = @job AND status = 'running' AND attempts = @attempts
        """;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public Task<IReadOnlySet<Guid>> FindRunnableAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        StoreSql.ReadIdsAsync(_dataSource, Runnable, jobIds, cancellationToken);

    public Task<IReadOnlySet<Guid>> StartAsync(IReadOnlyCollection<JobAttempt> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var ids = new Guid[jobs.Count];
        var attempts = new int[jobs.Count];
        var elapsed = new TimeSpan[jobs.Count];
        var i = 0;
        foreach (var job in jobs)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(job.Attempt, 1, nameof(jobs));
            (ids[i], attempts[i], elapsed[i]) = (job.JobId, job.Attempt, job.Elapsed);
            i++;
        }

        return WriteManyAsync(ids, Start,
            [new NpgsqlParameter<int[]>("attempts", attempts), new NpgsqlParameter<TimeSpan[]>("elapsed", elapsed)], StoreSql.DeleteDispatchRows, cancellationToken);
    }

    public Task<IReadOnlySet<Guid>> CompleteAsync(IReadOnlyCollection<JobResult> results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(results);
        var ids = new Guid[results.Count];
        var values = new string[results.Count];
        var attempts = new int[results.Count];
        var elapsed = new TimeSpan[results.Count];
        var i = 0;
        foreach (var result in results)
        {
            ArgumentNullException.ThrowIfNull(result.Result, nameof(results));
            ArgumentOutOfRangeException.ThrowIfLessThan(result.Attempt, 1, nameof(results));
            (ids[i], values[i], attempts[i], elapsed[i]) = (result.JobId, result.Result, result.Attempt, result.Elapsed);
            i++;
        }

        return WriteManyAsync(ids, Complete,
            [new NpgsqlParameter<string[]>("results", values), new NpgsqlParameter<int[]>("attempts", attempts), new NpgsqlParameter<TimeSpan[]>("elapsed", elapsed)],
            StoreSql.DeleteDispatchRows, cancellationToken);
    }

    public Task<bool> RecordFailureAsync(Guid jobId, string reason, JobState newState, CancellationToken cancellationToken)
    {
        var error = string.IsNullOrEmpty(reason)
            ? new NpgsqlParameter<string>("error", NpgsqlDbType.Text) { TypedValue = null }
            : new NpgsqlParameter<string>("error", reason);
        return newState switch
        {
            JobState.Queued => WriteAsync(jobId, FailRetry, [error], MarkRetrySent, cancellationToken),
            JobState.Failed or JobState.Dead =>
                WriteAsync(jobId, FailFinal, [error, new NpgsqlParameter<string>("status", newState.Name())], StoreSql.DeleteDispatchRow, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(newState), newState, "A failure leaves a job queued (retried), failed or dead."),
        };
    }

    public Task<bool> MarkLostDeadAsync(Guid jobId, int attempts, string reason, CancellationToken cancellationToken) =>
        WriteAsync(jobId, MarkLostDead,
            [new NpgsqlParameter<string>("error", reason), new NpgsqlParameter<int>("attempts", attempts)], StoreSql.DeleteDispatchRow, cancellationToken);

    /// <summary>
    /// One round trip, one implicit transaction: change the jobs not final, then their dispatch rows (<paramref
    /// name="dispatch"/>, with the same @ids), lock the tasks of the jobs changed, roll them up. Jobs before tasks
    /// (StoreSql.LockTaskOfJob), so a task stays locked only for its roll-up and the commit. Returns the ids changed.
    /// </summary>
    private async Task<IReadOnlySet<Guid>> WriteManyAsync(Guid[] ids, string update, NpgsqlParameter[] values, string dispatch, CancellationToken cancellationToken)
    {
        var changed = new HashSet<Guid>();
        if (ids.Length == 0)
        {
            return changed;
        }

        var batch = _dataSource.CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            var change = new NpgsqlBatchCommand(update) { Parameters = { new NpgsqlParameter<Guid[]>("ids", ids) } };
            change.Parameters.AddRange(values);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(StoreSql.KeyLookupsOnly));
            batch.BatchCommands.Add(change);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(dispatch) { Parameters = { new NpgsqlParameter<Guid[]>("ids", ids) } });

            batch.BatchCommands.Add(new NpgsqlBatchCommand(StoreSql.LockTasksOfChangedJobs) { Parameters = { new NpgsqlParameter<Guid[]>("ids", ids) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(StoreSql.RollUpTasksOfChangedJobs) { Parameters = { new NpgsqlParameter<Guid[]>("ids", ids) } });
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);   // past KeyLookupsOnly's row
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    changed.Add(reader.GetGuid(0));
                }
            }
        }

        return changed;
    }

    /// <summary>
    /// Change the job if it is not final, then its dispatch row, lock its task, roll the task up: one round trip, then
    /// commit (or roll back when the job was final).
    /// </summary>
    private async Task<bool> WriteAsync(Guid jobId, string update, NpgsqlParameter[] parameters, string dispatch, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
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
                        new NpgsqlBatchCommand(StoreSql.KeyLookupsOnly),
                        change,
                        new NpgsqlBatchCommand(dispatch) { Parameters = { new NpgsqlParameter<Guid>("job", jobId) } },
                        new NpgsqlBatchCommand(StoreSql.LockTaskOfJob) { Parameters = { new NpgsqlParameter<Guid>("job", jobId) } },
                        new NpgsqlBatchCommand(StoreSql.RollUpTaskOfJob) { Parameters = { new NpgsqlParameter<Guid>("job", jobId) } },
                    },
                };
                await using (batch.ConfigureAwait(false))
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (change.RecordsAffected == 0)
                {
                    // Already final, or no longer as the guard expects: the roll-up's touch of updated_at is undone with the rest.
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }
}
