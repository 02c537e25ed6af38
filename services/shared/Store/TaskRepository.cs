using AgentSystem.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentSystem.Store;

/// <summary><see cref="ITaskRepository"/> on PostgreSQL, in raw SQL.</summary>
public sealed class TaskRepository(NpgsqlDataSource dataSource) : ITaskRepository
{
    private const string InsertTask = """
        INSERT INTO tasks (id, status, goal, idempotency_key, trace_id)
        VALUES (@id, 'queued', @goal, @key, @trace)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING created_at, updated_at
        """;

    // All jobs in one statement from arrays; only when this batch inserted the task (not on an idempotent repeat).
    private const string InsertJobs = """
        INSERT INTO jobs (id, task_id, seq, type, input, status, trace_parent)
        SELECT j.id, @id, j.seq, j.type, j.input, 'queued', @trace_parent
        FROM unnest(@job_ids, @seqs, @types, @inputs) AS j (id, seq, type, input)
        WHERE EXISTS (SELECT 1 FROM tasks WHERE id = @id)
        """;

    // Running jobs too: their row is final at once, so whatever their worker writes later changes nothing (every job
    // write is guarded), and the worker, told over Redis, stops the run and acknowledges it.
    // Jobs before their task, in id order, as every job write (StoreSql.LockTaskOfJob).
    private const string CancelJobs = """
        UPDATE jobs SET status = 'cancelled', finished_at = now()
        WHERE id IN (SELECT id FROM jobs WHERE task_id = @task AND status IN ('queued', 'running') ORDER BY id FOR UPDATE)
        """;

    // One statement, one snapshot: each task agrees with its jobs. Rows come task by task, jobs in order.
    private const string SelectChanged = $"""
        SELECT t.id, t.status, t.goal, t.created_at, t.updated_at,
               j.id, j.seq, j.type, j.input, j.status, j.attempts, j.result, j.error, j.started_at, j.finished_at
        FROM unnest(@ids, @seen) AS w (id, seen)
        JOIN tasks t ON t.id = w.id AND (w.seen IS NULL OR t.updated_at <> w.seen)
        LEFT JOIN jobs j ON j.task_id = t.id
        ORDER BY t.id, j.seq
        """;

    // A row another transaction holds is skipped, not waited for: a worker is writing it (running or final once it
    // commits, and then no mark is needed), and one its rolled-back write leaves queued and unmarked is the
    // dispatcher's, which asks Redis before sending. Waiting made a submission wait for a worker's batch.
    private const string MarkEnqueued = """
        UPDATE jobs SET enqueued_at = now()
        WHERE id IN (SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'queued' FOR UPDATE SKIP LOCKED)
        """;

    private const string SelectUndispatched = """
        SELECT id, task_id, type, input, attempts, trace_parent
        FROM jobs
        WHERE status = 'queued' AND (enqueued_at IS NULL OR enqueued_at < now() - @stale)
        ORDER BY enqueued_at NULLS FIRST, task_id, seq
        LIMIT @limit
        """;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public async Task<CreatedTask> CreateAsync(NewTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(task.Jobs);
        if (task.Jobs.Count == 0)
        {
            throw new ArgumentException("A task needs at least one job.", nameof(task));
        }

        var id = Guid.CreateVersion7();
        var count = task.Jobs.Count;
        var jobIds = new Guid[count];
        var seqs = new int[count];
        var types = new string[count];
        var inputs = new string[count];
        for (var i = 0; i < count; i++)
        {
            jobIds[i] = Guid.CreateVersion7();
            seqs[i] = i;
            types[i] = task.Jobs[i].Type;
            inputs[i] = task.Jobs[i].Input;
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One round trip, one implicit transaction: the task and all its jobs, or nothing.
            var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(InsertTask)
                    {
                        Parameters =
                        {
                            new NpgsqlParameter<Guid>("id", id),
                            Text("goal", task.Goal),
                            Text("key", task.IdempotencyKey),
                            Text("trace", TraceId(task.TraceParent)),
                        },
                    },
                    new NpgsqlBatchCommand(InsertJobs)
                    {
                        Parameters =
                        {
                            new NpgsqlParameter<Guid>("id", id),
                            Text("trace_parent", task.TraceParent),
                            new NpgsqlParameter<Guid[]>("job_ids", jobIds),
                            new NpgsqlParameter<int[]>("seqs", seqs),
                            new NpgsqlParameter<string[]>("types", types),
                            new NpgsqlParameter<string[]>("inputs", inputs),
                        },
                    },
                },
            };
            await using (batch.ConfigureAwait(false))
            {
                var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var createdAt = reader.GetFieldValue<DateTimeOffset>(0);
                        var updatedAt = reader.GetFieldValue<DateTimeOffset>(1);
                        var jobs = new JobRecord[count];
                        for (var i = 0; i < count; i++)
                        {
                            jobs[i] = new JobRecord(jobIds[i], i, types[i], inputs[i], JobState.Queued, 0, null, null, null, null);
                        }

                        return new CreatedTask(new TaskRecord(id, TaskState.Queued, task.Goal, createdAt, updatedAt, jobs), Created: true);
                    }
                }
            }

            // The idempotency key was taken (a conflicting insert waits for the first one's commit): return that task.
            var existing = await StoreSql.GetTaskAsync(connection, null, "idempotency_key = @key", Text("key", task.IdempotencyKey), cancellationToken)
                .ConfigureAwait(false);
            return existing is not null
                ? new CreatedTask(existing, Created: false)
                : throw new InvalidOperationException($"The task with idempotency key '{task.IdempotencyKey}' was neither inserted nor found.");
        }
    }

    public async Task<TaskRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await StoreSql.GetTaskAsync(connection, null, "id = @id", new NpgsqlParameter<Guid>("id", id), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<TaskPage> ListAsync(TaskState? status, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);

        var filter = status is null ? string.Empty : "WHERE t.status = @status";
        var select = $"""
            SELECT t.id, t.status, t.goal, t.created_at, t.updated_at, c.total, c.completed
            FROM tasks t
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS total, (count(*) FILTER (WHERE j.status IN {StoreSql.FinalJobStates}))::int AS completed
                FROM jobs j WHERE j.task_id = t.id) AS c
            {filter}
            ORDER BY t.created_at DESC, t.id DESC
            LIMIT @limit OFFSET @offset
            """;
        var countSql = $"SELECT count(*) FROM tasks t {filter}";

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var items = new NpgsqlBatchCommand(select)
            {
                Parameters =
                {
                    new NpgsqlParameter<int>("limit", pageSize),
                    new NpgsqlParameter<long>("offset", (long)(page - 1) * pageSize),
                },
            };
            var total = new NpgsqlBatchCommand(countSql);
            if (status is { } state)
            {
                items.Parameters.Add(new NpgsqlParameter<string>("status", state.Name()));
                total.Parameters.Add(new NpgsqlParameter<string>("status", state.Name()));
            }

            var batch = new NpgsqlBatch(connection) { BatchCommands = { items, total } };
            await using (batch.ConfigureAwait(false))
            {
                var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var summaries = new List<TaskSummary>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var task = StoreSql.ReadTask(reader);
                        summaries.Add(new TaskSummary(task.Id, task.Status, task.Goal, task.CreatedAt, task.UpdatedAt, reader.GetInt32(5), reader.GetInt32(6)));
                    }

                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    return new TaskPage(summaries, page, pageSize, reader.GetInt64(0));
                }
            }
        }
    }

    public async Task<IReadOnlyList<TaskRecord>> GetChangedAsync(IReadOnlyCollection<TaskVersion> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var found = new List<TaskRecord>();
        if (tasks.Count == 0)
        {
            return found;
        }

        var command = _dataSource.CreateCommand(SelectChanged);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. tasks.Select(t => t.Id)]));
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]>("seen", [.. tasks.Select(t => t.UpdatedAt?.ToUniversalTime())]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                (Guid Id, TaskState Status, string? Goal, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)? task = null;
                var jobs = new List<JobRecord>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var id = reader.GetGuid(0);
                    if (task is { } current && current.Id != id)
                    {
                        found.Add(new TaskRecord(current.Id, current.Status, current.Goal, current.CreatedAt, current.UpdatedAt, jobs));
                        jobs = [];
                    }

                    task = StoreSql.ReadTask(reader);
                    if (!reader.IsDBNull(5))
                    {
                        jobs.Add(StoreSql.ReadJob(reader, 5));
                    }
                }

                if (task is { } last)
                {
                    found.Add(new TaskRecord(last.Id, last.Status, last.Goal, last.CreatedAt, last.UpdatedAt, jobs));
                }
            }
        }

        return found;
    }

    public async Task<TaskCancellation?> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var changed = false;
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var cancel = new NpgsqlBatchCommand(CancelJobs) { Parameters = { new NpgsqlParameter<Guid>("task", id) } };
                var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        cancel,
                        new NpgsqlBatchCommand(StoreSql.LockTask) { Parameters = { new NpgsqlParameter<Guid>("task", id) } },
                        new NpgsqlBatchCommand(StoreSql.RollUpTask) { Parameters = { new NpgsqlParameter<Guid>("task", id) } },
                    },
                };
                await using (batch.ConfigureAwait(false))
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // Nothing open (final already, or unknown): the roll-up's touch of updated_at is undone with the rest.
                if (cancel.RecordsAffected > 0)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    changed = true;
                }
                else
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            var task = await StoreSql.GetTaskAsync(connection, null, "id = @id", new NpgsqlParameter<Guid>("id", id), cancellationToken)
                .ConfigureAwait(false);
            return task is null ? null : new TaskCancellation(task, changed);
        }
    }

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

    public async Task<IReadOnlyList<JobMessage>> FindUndispatchedAsync(TimeSpan staleAfter, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(staleAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        var command = _dataSource.CreateCommand(SelectUndispatched);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("stale", staleAfter) { NpgsqlDbType = NpgsqlDbType.Interval });
            command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var messages = new List<JobMessage>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // The next delivery is attempt attempts + 1: a job that ran once and was requeued is on its second.
                    messages.Add(new JobMessage(
                        reader.GetGuid(0),
                        reader.GetGuid(1),
                        reader.GetString(2),
                        reader.GetString(3),
                        reader.GetInt32(4) + 1,
                        reader.IsDBNull(5) ? null : reader.GetString(5)));
                }

                return messages;
            }
        }
    }

    private static NpgsqlParameter<string> Text(string name, string? value) =>
        value is null
            ? new NpgsqlParameter<string>(name, NpgsqlDbType.Text) { TypedValue = null }
            : new NpgsqlParameter<string>(name, value);

    /// <summary>The trace id of a W3C traceparent ("00-traceid-spanid-flags"), for finding a task by its trace.</summary>
    private static string? TraceId(string? traceParent)
    {
        if (string.IsNullOrEmpty(traceParent))
        {
            return null;
        }

        var parts = traceParent.Split('-');
        return parts.Length >= 3 && parts[1].Length == 32 ? parts[1] : null;
    }
}
