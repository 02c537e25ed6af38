using AgentSystem.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentSystem.Store;

/// <summary>
/// The dispatcher's side of the tasks' store: which queued jobs were sent to Redis, which are due again, and which have
/// been running long (Redis may have lost their lease).
/// </summary>
public sealed partial class TaskRepository
{
    // A job another transaction holds is skipped, not waited for: a worker is writing it (running or final once it
    // commits, and then no mark is needed), and one its rolled-back write leaves queued and unmarked is the
    // dispatcher's, which asks Redis before sending. Waiting made a submission wait for a worker's batch.
    // Unmarking likewise: a job a worker holds is being started, retried or finished, so it needs no unmark, and the
    // job's lock before its dispatch row is the order every writer of both takes.
    private const string MarkEnqueued = """
        UPDATE job_dispatch SET enqueued_at = now()
        WHERE job_id IN (SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'queued' FOR UPDATE SKIP LOCKED)
        """;

    private const string UnmarkEnqueued = """
        UPDATE job_dispatch SET enqueued_at = NULL
        WHERE job_id IN (SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'queued' FOR UPDATE SKIP LOCKED)
        """;

    // Never sent, then sent longer ago than @stale, oldest first: each half a range of job_dispatch's index of its own
    // (after StoreSql.OrderedIndexScansOnly), then their jobs and their tasks (the client's lane) by key. With both in
    // one WHERE (an OR), a plan chosen on statistics from when the table was small walked the index in order and
    // filtered, reading every queued job of a backlog: 2 to 3 s per call.
    // A row whose job is gone or not queued (left by hand, or by services older than migration 0003) comes back with a
    // null status or another one, for DeleteStrayDispatchRows.
    internal const string SelectUndispatched = """
        SELECT due.job_id, j.status, j.task_id, j.type, j.input, j.attempts, j.trace_parent, t.client
        FROM (
            (SELECT job_id, enqueued_at FROM job_dispatch WHERE enqueued_at IS NULL
             ORDER BY enqueued_at NULLS FIRST LIMIT @limit)
            UNION ALL
            (SELECT job_id, enqueued_at FROM job_dispatch WHERE enqueued_at < now() - @stale
             ORDER BY enqueued_at NULLS FIRST LIMIT @limit)
            ORDER BY enqueued_at NULLS FIRST LIMIT @limit
        ) AS due
        LEFT JOIN jobs j ON j.id = due.job_id
        LEFT JOIN tasks t ON t.id = j.task_id
        ORDER BY due.enqueued_at NULLS FIRST, due.job_id
        """;

    // A task stays running while one of its jobs runs, so the tasks' status index finds them: jobs has no index on its
    // status, which keeps a result's update in place (HOT). That index leads with the owner, and PostgreSQL 15 cannot
    // skip through it, so the owners are walked one index probe each (a loose index scan; they are the API keys' names,
    // a handful), each owner's running tasks read as a range, then each task's jobs by key (the subqueries on jobs kept
    // as they are by OFFSET 0: flattened into joins, they let the planner walk every job's index entry, 42,761 and 88,135
    // pages, and look each one's task up). A task changed lately is in progress; one whose long job's worker
    // and lease are both gone stops changing. created_at bounds the range (a task changed a minute ago was made before
    // that), and only tasks with such a job count towards the limit, so that quiet tasks with nothing to send (a retry
    // waiting in a long lane) do not take every place. Index scans only: read as one filtered walk of the index, it touched every
    // task (347 pages beside 20,000 final ones, DispatchTests).
    internal const string SelectLongRunning = """
        WITH RECURSIVE owners(owner) AS (
            (SELECT owner FROM tasks ORDER BY owner LIMIT 1)
            UNION ALL
            SELECT (SELECT t.owner FROM tasks t WHERE t.owner > o.owner ORDER BY t.owner LIMIT 1)
            FROM owners o WHERE o.owner IS NOT NULL
        ),
        quiet AS (
            SELECT r.id, r.client, r.created_at
            FROM owners o
            CROSS JOIN LATERAL (
                SELECT id, client, created_at FROM tasks
                WHERE owner = o.owner AND status = 'running' AND created_at < now() - @stale AND updated_at < now() - @stale
                  AND EXISTS (SELECT 1 FROM jobs WHERE task_id = tasks.id AND status = 'running' AND started_at < now() - @stale OFFSET 0)
                ORDER BY created_at LIMIT @limit) AS r
            ORDER BY r.created_at LIMIT @limit
        )
        SELECT j.id, j.status, q.id, j.type, j.input, j.attempts, j.trace_parent, q.client
        FROM quiet q
        CROSS JOIN LATERAL (
            SELECT id, status, type, input, attempts, trace_parent, started_at FROM jobs
            WHERE task_id = q.id AND status = 'running' AND started_at < now() - @stale
            OFFSET 0) AS j
        ORDER BY j.started_at, j.id
        """;

    private const string SelectRunning = "SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'running'";

    // Checked again under the job's lock, taken first as by every writer of both (a retry may have queued the job since;
    // locked, it stays as it is until this commits); a job another transaction holds is left for a later round.
    private const string DeleteStrayDispatchRows = """
        DELETE FROM job_dispatch
        WHERE job_id = ANY(@ids)
          AND (job_id NOT IN (SELECT id FROM jobs WHERE id = ANY(@ids))
               OR job_id IN (SELECT id FROM jobs WHERE id = ANY(@ids) AND status <> 'queued' FOR UPDATE SKIP LOCKED))
        """;

    public async Task MarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        if (jobIds.Count == 0)
        {
            return;
        }

        var command = _dataSource.CreateCommand(MarkEnqueued);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. jobIds]));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task UnmarkEnqueuedAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var command = _dataSource.CreateCommand(UnmarkEnqueued);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. jobIds]));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<JobMessage>> FindUndispatchedAsync(TimeSpan staleAfter, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(staleAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        var batch = _dataSource.CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            foreach (var statement in UndispatchedStatements(staleAfter, limit))
            {
                batch.BatchCommands.Add(statement);
            }

            var messages = new List<JobMessage>();
            var strays = new List<Guid>();
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);   // past the settings' row
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (reader.IsDBNull(1) || reader.GetString(1) != "queued")
                    {
                        strays.Add(reader.GetGuid(0));
                        continue;
                    }

                    messages.Add(NextDelivery(reader));
                }
            }

            // Left, a stray would come first in every round, re-read and never sent.
            if (strays.Count > 0)
            {
                var delete = _dataSource.CreateCommand(DeleteStrayDispatchRows);
                await using (delete.ConfigureAwait(false))
                {
                    delete.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. strays]));
                    await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return messages;
        }
    }

    public async Task<IReadOnlyList<JobMessage>> FindLongRunningAsync(TimeSpan runningFor, int taskLimit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runningFor, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(taskLimit, 1);

        var batch = _dataSource.CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            foreach (var statement in LongRunningStatements(runningFor, taskLimit))
            {
                batch.BatchCommands.Add(statement);
            }

            var messages = new List<JobMessage>();
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);   // past the settings' row
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    messages.Add(NextDelivery(reader));
                }
            }
            return messages;
        }
    }

    /// <summary>
    /// A job's next delivery from a row of SelectUndispatched's columns (SelectLongRunning's alike): attempt attempts + 1,
    /// since a job that ran once (or was marked running by a delivery) and is sent again is on its next attempt.
    /// </summary>
    private static JobMessage NextDelivery(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetInt32(5) + 1,
        reader.IsDBNull(6) ? null : reader.GetString(6),
        Client: reader.IsDBNull(7) ? null : reader.GetString(7));

    public async Task<IReadOnlySet<Guid>> WhichRunningAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var running = new HashSet<Guid>();
        if (jobIds.Count == 0)
        {
            return running;
        }

        var command = _dataSource.CreateCommand(SelectRunning);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. jobIds]));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    running.Add(reader.GetGuid(0));
                }
            }
        }
        return running;
    }

    /// <summary>What FindLongRunningAsync sends, in one batch: the planner's settings, then the query (last).</summary>
    internal static NpgsqlBatchCommand[] LongRunningStatements(TimeSpan runningFor, int taskLimit) =>
    [
        new(StoreSql.OrderedIndexScansOnly),
        new(SelectLongRunning)
        {
            Parameters =
            {
                new NpgsqlParameter<TimeSpan>("stale", runningFor) { NpgsqlDbType = NpgsqlDbType.Interval },
                new NpgsqlParameter<int>("limit", taskLimit),
            },
        },
    ];

    /// <summary>What FindUndispatchedAsync sends, in one batch: the planner's settings, then the query (last).</summary>
    internal static NpgsqlBatchCommand[] UndispatchedStatements(TimeSpan staleAfter, int limit) =>
    [
        new(StoreSql.OrderedIndexScansOnly),
        new(SelectUndispatched)
        {
            Parameters =
            {
                new NpgsqlParameter<TimeSpan>("stale", staleAfter) { NpgsqlDbType = NpgsqlDbType.Interval },
                new NpgsqlParameter<int>("limit", limit),
            },
        },
    ];
}
