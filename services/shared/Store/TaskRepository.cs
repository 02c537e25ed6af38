using AgentSystem.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentSystem.Store;

/// <summary><see cref="ITaskRepository"/> on PostgreSQL, in raw SQL.</summary>
public sealed partial class TaskRepository(NpgsqlDataSource dataSource) : ITaskRepository
{
    // Many tasks and all their jobs in one statement from arrays (one plan, one commit for a batch of submissions). Rows
    // go in the order of owner and idempotency key, so that two batches waiting on each other's keys wait in the same
    // order (no deadlock); a key its owner's task took in another transaction waits for that commit, then this task is
    // left out (DO NOTHING), and so are its jobs. A task of no owner is stored with owner '' (unique keys among them
    // too). The jobs are written as enqueued (job_dispatch): the caller sends them at once (an UPDATE per batch saved).
    // The tasks inserted add what they reserve to their owners' storage, last, so that a batch of one owner waits for
    // another's commit only there; a batch that passes an owner's quota fails whole (StorageQuotaExceededException),
    // and its caller stores its tasks one by one.
    private const string InsertTasks = $"""
        WITH created AS (
            INSERT INTO tasks (id, status, goal, idempotency_key, trace_id, client, owner, stored_bytes)
            SELECT n.id, 'queued', n.goal, n.key, n.trace, n.client, n.owner, n.stored
            FROM unnest(@ids, @goals, @keys, @traces, @clients, @owners, @stored) AS n (id, goal, key, trace, client, owner, stored)
            ORDER BY n.owner, n.key
            ON CONFLICT (owner, idempotency_key) DO NOTHING
            RETURNING id, created_at, updated_at, owner, stored_bytes),
        owners_stored AS (
            INSERT INTO {StorageTable} AS s (owner, bytes, quota)
            SELECT c.owner, sum(c.stored_bytes), q.quota
            FROM created c JOIN unnest(@quota_owners, @quotas) AS q (owner, quota) ON q.owner = c.owner
            GROUP BY c.owner, q.quota
            ORDER BY c.owner
            ON CONFLICT (owner) DO UPDATE SET bytes = s.bytes + excluded.bytes, quota = excluded.quota),
        jobs_created AS (
            INSERT INTO jobs (id, task_id, seq, type, input, status, trace_parent)
            SELECT j.id, j.task_id, j.seq, j.type, j.input, 'queued', j.trace_parent
            FROM unnest(@job_ids, @job_tasks, @seqs, @types, @inputs, @trace_parents) AS j (id, task_id, seq, type, input, trace_parent)
            WHERE j.task_id IN (SELECT id FROM created)
            RETURNING id),
        dispatch_created AS (
            INSERT INTO job_dispatch (job_id, enqueued_at) SELECT id, now() FROM jobs_created)
        SELECT id, created_at, updated_at FROM created
        """;

    // A task's columns, then one job's (null for a task without jobs): the rows ReadTasksAsync reads, task by task.
    private const string TaskAndJobColumns = """
        t.id, t.status, t.goal, t.created_at, t.updated_at,
        j.id, j.seq, j.type, j.input, j.status, j.attempts, j.result, j.error, j.started_at, j.finished_at
        """;

    private const string SelectByKeys = $"""
        SELECT {TaskAndJobColumns}, t.idempotency_key, t.owner
        FROM unnest(@owners, @keys) AS k (owner, key)
        JOIN tasks t ON t.owner = k.owner AND t.idempotency_key = k.key
        LEFT JOIN jobs j ON j.task_id = t.id
        ORDER BY t.id, j.seq
        """;

    // Running jobs too: their row is final at once, so whatever their worker writes later changes nothing (every job
    // write is guarded), and the worker, told over Redis, stops the run and acknowledges it.
    // Jobs before their task, in id order, as every job write (StoreSql.LockTaskOfJob).
    private const string CancelJobs = """
        UPDATE jobs SET status = 'cancelled', finished_at = now()
        WHERE id IN (SELECT id FROM jobs WHERE task_id = @task AND status IN ('queued', 'running') ORDER BY id FOR UPDATE)
        """;

    private const string DeleteDispatchRowsOfTask = "DELETE FROM job_dispatch WHERE job_id IN (SELECT id FROM jobs WHERE task_id = @task)";

    // One statement, one snapshot: each task agrees with its jobs. Rows come task by task, jobs in order.
    // An input, result or error left out is not even read from its TOAST table.
    private static readonly string SelectChanged = $"""
        SELECT {TaskAndJobColumns
            .Replace("j.input", "CASE WHEN w.inputs THEN j.input ELSE '' END", StringComparison.Ordinal)
            .Replace("j.result", "CASE WHEN s.id IS NULL THEN j.result END", StringComparison.Ordinal)
            .Replace("j.error", "CASE WHEN s.id IS NULL THEN j.error END", StringComparison.Ordinal)}
        FROM unnest(@ids, @seen, @inputs) AS w (id, seen, inputs)
        JOIN tasks t ON t.id = w.id AND (w.seen IS NULL OR t.updated_at <> w.seen)
        LEFT JOIN jobs j ON j.task_id = t.id
        LEFT JOIN (SELECT DISTINCT unnest(@settled)) AS s (id) ON s.id = j.id
        ORDER BY t.id, j.seq
        """;

    // Oldest first along tasks_created_at_idx (read backwards), stopping at the limit; the jobs go with their task (ON
    // DELETE CASCADE). It locks a task before its jobs, the reverse of a job write (job, then task), which is safe: a
    // final task's jobs are final, and no guarded write or cancel locks them.
    // What the deleted tasks reserved goes back to their owners.
    private static readonly string DeleteFinished = $"""
        WITH deleted AS (
            DELETE FROM tasks WHERE id IN (
                SELECT id FROM tasks
                WHERE status IN ('succeeded', 'failed', 'cancelled') AND created_at < @cutoff AND updated_at < @cutoff
                ORDER BY created_at
                LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            RETURNING owner, stored_bytes),
        {OwnerStorage.GiveBackSql(StorageTable)}
        SELECT count(*)::int FROM deleted
        """;

    private const string StorageTable = "owner_storage";

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    public async Task<IReadOnlyList<CreatedTask>> CreateManyAsync(IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var batch = new InsertBatch(tasks);
        var results = new CreatedTask?[tasks.Count];
        // The jobs' foreign key checks look their task up by key: a plan cached while the table was tiny scanned it all.
        var insert = new NpgsqlBatchCommand(InsertTasks);
        batch.AddParameters(insert.Parameters);
        var statements = _dataSource.CreateBatch();
        await using (statements.ConfigureAwait(false))
        {
            statements.BatchCommands.Add(new NpgsqlBatchCommand(StoreSql.KeyLookupsOnly));
            statements.BatchCommands.Add(insert);
            try
            {
                var reader = await statements.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);   // past KeyLookupsOnly's row
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var index = batch.IndexOf(reader.GetGuid(0));
                        results[index] = new CreatedTask(batch.Record(index, reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2)), Created: true);
                    }
                }
            }
            catch (PostgresException error) when (OwnerStorage.IsRefusal(error, StorageTable))
            {
                throw await QuotaExceededAsync(tasks, cancellationToken).ConfigureAwait(false);
            }
        }

        // A key its owner took before (in an earlier transaction, or by a task earlier in this list): that task is the answer.
        var taken = Enumerable.Range(0, tasks.Count).Where(i => results[i] is null).ToList();
        if (taken.Count > 0)
        {
            var existing = await GetByKeysAsync([.. taken.Select(i => OwnerKey(tasks[i])).Distinct()], cancellationToken).ConfigureAwait(false);
            foreach (var i in taken)
            {
                var key = tasks[i].IdempotencyKey;
                results[i] = key is not null && existing.TryGetValue(OwnerKey(tasks[i]), out var task)
                    ? new CreatedTask(task, Created: false)
                    : throw new InvalidOperationException($"The task with idempotency key '{key}' was neither inserted nor found.");
            }
        }

        return results!;
    }

    // What a lone task's owner holds, for the refusal's message (a batch's caller stores its tasks one by one then).
    private async Task<StorageQuotaExceededException> QuotaExceededAsync(IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken)
    {
        var task = tasks[0];
        if (tasks.Count > 1)
        {
            return new StorageQuotaExceededException(task.OwnerQuota, tasks.Sum(t => t.StoredBytes), stored: null);
        }

        var stored = await OwnerStorage.StoredBytesAsync(_dataSource, StorageTable, task.Owner ?? "", cancellationToken).ConfigureAwait(false);
        return new StorageQuotaExceededException(task.OwnerQuota, task.StoredBytes, stored);
    }

    public async Task<TaskRecord?> GetByKeyAsync(string owner, string idempotencyKey, CancellationToken cancellationToken) =>
        (await GetByKeysAsync([(owner, idempotencyKey)], cancellationToken).ConfigureAwait(false)).Values.SingleOrDefault();

    public async Task<TaskRecord?> GetAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await StoreSql.GetTaskAsync(connection, null, id, owner, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<bool> IsOwnedByAsync(Guid id, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var command = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = @id AND owner = @owner)");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            command.Parameters.Add(StoreSql.OwnerParameter(owner));
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    public async Task<TaskPage> ListAsync(TaskState? status, string? owner, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);

        // An owner's list walks tasks_owner_created_at_idx or tasks_owner_status_created_at_idx, newest first.
        var filter = "WHERE true" + (status is null ? string.Empty : " AND t.status = @status") + StoreSql.OwnedBy(owner, "t.");
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
        // Counts one row past the limit, never the whole table: a count of every task took 45 ms at 180,000 of them.
        var countSql = $"SELECT count(*) FROM (SELECT 1 FROM tasks t {filter} LIMIT {Limits.MaxListedItems + 1}) AS listed";

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var items = new NpgsqlBatchCommand(select)
            {
                Parameters =
                {
                    new NpgsqlParameter<int>("limit", Limits.ListedOnPage(page, pageSize)),
                    new NpgsqlParameter<long>("offset", (long)(page - 1) * pageSize),
                },
            };
            var total = new NpgsqlBatchCommand(countSql);
            foreach (var command in new[] { items, total })
            {
                if (status is { } state)
                {
                    command.Parameters.Add(new NpgsqlParameter<string>("status", state.Name()));
                }

                if (owner is not null)
                {
                    command.Parameters.Add(StoreSql.OwnerParameter(owner));
                }
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
                    var (listed, exact) = Limits.ListedTotal(reader.GetInt64(0));
                    return new TaskPage(summaries, page, pageSize, listed, exact);
                }
            }
        }
    }

    public async Task<IReadOnlyList<TaskRecord>> GetChangedAsync(IReadOnlyCollection<TaskVersion> tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0)
        {
            return [];
        }

        var command = _dataSource.CreateCommand(SelectChanged);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. tasks.Select(t => t.Id)]));
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]>("seen", [.. tasks.Select(t => t.UpdatedAt?.ToUniversalTime())]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<bool[]>("inputs", [.. tasks.Select(t => !t.WithoutInputs)]));
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("settled", [.. tasks.SelectMany(t => t.SettledJobs ?? [])]));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return [.. (await ReadTasksAsync(reader, cancellationToken).ConfigureAwait(false)).Select(t => t.Task)];
            }
        }
    }

    public async Task<TaskCancellation?> CancelAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        // Another owner's task is not touched, not even locked: to its caller it does not exist. (An owner never changes.)
        if (owner is not null && !await IsOwnedByAsync(id, owner, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

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
                        new NpgsqlBatchCommand(StoreSql.KeyLookupsOnly),
                        cancel,
                        new NpgsqlBatchCommand(DeleteDispatchRowsOfTask) { Parameters = { new NpgsqlParameter<Guid>("task", id) } },
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

            var task = await StoreSql.GetTaskAsync(connection, null, id, owner, cancellationToken).ConfigureAwait(false);
            return task is null ? null : new TaskCancellation(task, changed);
        }
    }

    public async Task<int> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var command = _dataSource.CreateCommand(DeleteFinished);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", cutoff));
            command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
            return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <summary>Whose idempotency key: the owner as stored ('' for none) and the key.</summary>
    private static (string Owner, string Key) OwnerKey(NewTask task) => (task.Owner ?? "", task.IdempotencyKey!);

    private async Task<Dictionary<(string Owner, string Key), TaskRecord>> GetByKeysAsync((string Owner, string Key)[] keys, CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand(SelectByKeys);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("owners", [.. keys.Select(k => k.Owner)]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. keys.Select(k => k.Key)]));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return (await ReadTasksAsync(reader, cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Key!.Value, t => t.Task);
            }
        }
    }

    /// <summary>
    /// Tasks with their jobs from rows of <see cref="TaskAndJobColumns"/>, task by task, jobs in order; with the owner
    /// and idempotency key when the two columns after them hold them (<see cref="SelectByKeys"/>).
    /// </summary>
    private static async Task<List<(TaskRecord Task, (string Owner, string Key)? Key)>> ReadTasksAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        const int keyColumn = 15;
        var found = new List<(TaskRecord, (string, string)?)>();
        (Guid Id, TaskState Status, string? Goal, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)? task = null;
        (string, string)? key = null;
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetGuid(0);
            if (task is { } current && current.Id != id)
            {
                found.Add((new TaskRecord(current.Id, current.Status, current.Goal, current.CreatedAt, current.UpdatedAt, jobs), key));
                jobs = [];
            }

            task = StoreSql.ReadTask(reader);
            key = reader.FieldCount > keyColumn + 1 && !reader.IsDBNull(keyColumn) ? (reader.GetString(keyColumn + 1), reader.GetString(keyColumn)) : null;
            if (!reader.IsDBNull(5))
            {
                jobs.Add(StoreSql.ReadJob(reader, 5));
            }
        }

        if (task is { } last)
        {
            found.Add((new TaskRecord(last.Id, last.Status, last.Goal, last.CreatedAt, last.UpdatedAt, jobs), key));
        }

        return found;
    }

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

    /// <summary>
    /// The arrays of one insert: each task with fresh ids, its jobs in order. A task whose key an earlier task in the list
    /// has is left out (it is a repeat of that one).
    /// </summary>
    private sealed class InsertBatch
    {
        private readonly IReadOnlyList<NewTask> _tasks;
        private readonly Dictionary<Guid, int> _indexes = [];
        private readonly Guid[] _taskIds;
        private readonly List<Guid> _ids = [];
        private readonly List<string?> _goals = [];
        private readonly List<string?> _keys = [];
        private readonly List<string?> _traces = [];
        private readonly List<string?> _clients = [];
        private readonly List<string> _owners = [];
        private readonly List<Guid> _jobIds = [];
        private readonly List<Guid> _jobTasks = [];
        private readonly List<int> _seqs = [];
        private readonly List<string> _types = [];
        private readonly List<string> _inputs = [];
        private readonly List<string?> _traceParents = [];
        private readonly List<long> _stored = [];
        private readonly Dictionary<string, long> _quotas = new(StringComparer.Ordinal);
        private readonly int[] _firstJob;

        public InsertBatch(IReadOnlyList<NewTask> tasks)
        {
            _tasks = tasks;
            _taskIds = new Guid[tasks.Count];
            _firstJob = new int[tasks.Count];
            var keys = new HashSet<(string, string)>();
            for (var i = 0; i < tasks.Count; i++)
            {
                var task = tasks[i];
                ArgumentNullException.ThrowIfNull(task, nameof(tasks));
                ArgumentNullException.ThrowIfNull(task.Jobs, nameof(tasks));
                if (task.Jobs.Count == 0)
                {
                    throw new ArgumentException("A task needs at least one job.", nameof(tasks));
                }

                if (task.IdempotencyKey is not null && !keys.Add(OwnerKey(task)))
                {
                    continue;
                }

                var id = Guid.CreateVersion7();
                _taskIds[i] = id;
                _indexes[id] = i;
                _ids.Add(id);
                _goals.Add(task.Goal);
                _keys.Add(task.IdempotencyKey);
                _traces.Add(TraceId(task.TraceParent));
                _clients.Add(task.Client);
                _owners.Add(task.Owner ?? "");
                _stored.Add(task.StoredBytes);
                _quotas[task.Owner ?? ""] = task.OwnerQuota;
                _firstJob[i] = _jobIds.Count;
                for (var seq = 0; seq < task.Jobs.Count; seq++)
                {
                    _jobIds.Add(Guid.CreateVersion7());
                    _jobTasks.Add(id);
                    _seqs.Add(seq);
                    _types.Add(task.Jobs[seq].Type);
                    _inputs.Add(task.Jobs[seq].Input);
                    _traceParents.Add(task.TraceParent);
                }
            }
        }

        public void AddParameters(NpgsqlParameterCollection parameters)
        {
            parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. _ids]));
            parameters.Add(TextArray("goals", _goals));
            parameters.Add(TextArray("keys", _keys));
            parameters.Add(TextArray("traces", _traces));
            parameters.Add(TextArray("clients", _clients));
            parameters.Add(new NpgsqlParameter<string[]>("owners", [.. _owners]));
            parameters.Add(new NpgsqlParameter<Guid[]>("job_ids", [.. _jobIds]));
            parameters.Add(new NpgsqlParameter<Guid[]>("job_tasks", [.. _jobTasks]));
            parameters.Add(new NpgsqlParameter<int[]>("seqs", [.. _seqs]));
            parameters.Add(new NpgsqlParameter<string[]>("types", [.. _types]));
            parameters.Add(new NpgsqlParameter<string[]>("inputs", [.. _inputs]));
            parameters.Add(TextArray("trace_parents", _traceParents));
            parameters.Add(new NpgsqlParameter<long[]>("stored", [.. _stored]));
            parameters.Add(new NpgsqlParameter<string[]>("quota_owners", [.. _quotas.Keys]));
            parameters.Add(new NpgsqlParameter<long[]>("quotas", [.. _quotas.Values]));
        }

        public int IndexOf(Guid taskId) => _indexes[taskId];

        public TaskRecord Record(int index, DateTimeOffset createdAt, DateTimeOffset updatedAt)
        {
            var task = _tasks[index];
            var jobs = new JobRecord[task.Jobs.Count];
            for (var seq = 0; seq < jobs.Length; seq++)
            {
                jobs[seq] = new JobRecord(_jobIds[_firstJob[index] + seq], seq, task.Jobs[seq].Type, task.Jobs[seq].Input, JobState.Queued, 0, null, null, null, null);
            }

            return new TaskRecord(_taskIds[index], TaskState.Queued, task.Goal, createdAt, updatedAt, jobs);
        }

        private static NpgsqlParameter<string?[]> TextArray(string name, List<string?> values) =>
            new(name, [.. values]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
    }
}
