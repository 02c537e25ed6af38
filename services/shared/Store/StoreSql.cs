using AgentSystem.Contracts;
using Npgsql;

namespace AgentSystem.Store;

/// <summary>SQL and row mapping the repositories share.</summary>
internal static class StoreSql
{
    /// <summary>The job states after which nothing changes a job (the guard of every idempotent write).</summary>
    public const string FinalJobStates = "('succeeded', 'failed', 'dead', 'cancelled')";

    /// <summary>
    /// Deletes the dispatch rows of the jobs @ids (@job), written running or final: not the dispatcher's to send any
    /// more. One no longer queued has none, so a duplicate delivery deletes nothing.
    /// </summary>
    public const string DeleteDispatchRows = "DELETE FROM job_dispatch WHERE job_id = ANY(@ids)";

    public const string DeleteDispatchRow = "DELETE FROM job_dispatch WHERE job_id = @job";

    /// <summary>
    /// Sent first in a transaction that reads job_dispatch by ranges of its index: index scans only, in the index's
    /// order. A plan made while the table was small (its usual size) chose a sequential or bitmap scan and a sort, and
    /// read a backlog's every row.
    /// </summary>
    public const string OrderedIndexScansOnly = "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)";

    public const string JobColumns = "id, seq, type, input, status, attempts, result, error, started_at, finished_at";

    public const string TaskColumns = "id, status, goal, created_at, updated_at";

    /// <summary>
    /// Locks the task of job @job. Every write to a task's jobs takes it after changing the jobs and before the roll-up,
    /// so roll-ups of one task run one after another and each (a later statement, with a fresh snapshot at READ
    /// COMMITTED) sees every job whose writer locked the task before it. Without it, two jobs finishing at once could each
    /// see the other still running and leave the task running. Jobs first, then tasks (in id order), everywhere: a
    /// task is locked only for its roll-up and the commit, not while a batch's jobs are written.
    /// </summary>
    public const string LockTaskOfJob = "SELECT t.id FROM tasks t WHERE t.id = (SELECT j.task_id FROM jobs j WHERE j.id = @job) FOR UPDATE OF t";

    /// <summary>
    /// Sent first in a transaction whose statements all find their rows by key: no sequential scans in it. The planner
    /// picks one when its statistics say a table is tiny (a new database filling up under load), and a prepared
    /// statement keeps that plan until the next ANALYZE, which autovacuum runs at most once a minute: a worker's roll-up
    /// then read every task for each batch of results (docs/load-history.md). Local to the transaction; no warning, unlike SET LOCAL
    /// outside a transaction block.
    /// </summary>
    public const string KeyLookupsOnly = "SELECT set_config('enable_seqscan', 'off', true)";

    /// <summary>Those of the jobs @ids this transaction changed (a row's xmin is the transaction that wrote it).</summary>
    private const string ChangedJobs = "jobs WHERE id = ANY(@ids) AND xmin = pg_current_xact_id_if_assigned()::xid";

    /// <summary>
    /// Locks the tasks of the jobs @ids this transaction changed, in id order, so that two batches sharing tasks cannot
    /// deadlock; a batch of duplicates (every job final already) locks nothing.
    /// </summary>
    public const string LockTasksOfChangedJobs = $"SELECT id FROM tasks WHERE id IN (SELECT task_id FROM {ChangedJobs}) ORDER BY id FOR UPDATE";

    public const string LockTask = "SELECT id FROM tasks WHERE id = @task FOR UPDATE";

    /// <summary>
    /// Recomputes the state of the tasks @@tasks (a query of task ids) from their jobs. Final when no job is queued or
    /// running: succeeded when all succeeded, cancelled when any was cancelled and none failed or died, else failed.
    /// Otherwise running once any job has started (and it stays running through retries), else queued. A final task
    /// forgets its client (the pseudonym the dispatcher needs only while jobs wait).
    /// </summary>
    private const string RollUpTemplate = """
        UPDATE tasks AS t
        SET status = CASE
                WHEN s.open = 0 THEN CASE
                    WHEN s.succeeded = s.total THEN 'succeeded'
                    WHEN s.cancelled > 0 AND s.failed = 0 THEN 'cancelled'
                    ELSE 'failed' END
                WHEN t.status = 'running' OR s.untouched < s.total THEN 'running'
                ELSE 'queued' END,
            client = CASE WHEN s.open = 0 THEN NULL ELSE t.client END,
            updated_at = now()
        FROM (SELECT task_id,
                     count(*) AS total,
                     count(*) FILTER (WHERE status IN ('queued', 'running')) AS open,
                     count(*) FILTER (WHERE status = 'queued' AND attempts = 0) AS untouched,
                     count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
                     count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                     count(*) FILTER (WHERE status IN ('failed', 'dead')) AS failed
              FROM jobs WHERE task_id IN (@@tasks) GROUP BY task_id) AS s
        WHERE t.id = s.task_id
        """;

    public static readonly string RollUpTaskOfJob = RollUp("SELECT task_id FROM jobs WHERE id = @job");

    public static readonly string RollUpTask = RollUp("@task");

    /// <summary>
    /// Rolls up the tasks of those jobs @ids this transaction changed, so that a batch whose writes changed nothing
    /// (every job already final: duplicate deliveries) leaves its tasks, updated_at included, as they were.
    /// </summary>
    public static readonly string RollUpTasksOfChangedJobs = RollUp($"SELECT task_id FROM {ChangedJobs}");

    private static string RollUp(string tasks) => RollUpTemplate.Replace("@@tasks", tasks, StringComparison.Ordinal);

    public static TaskState ParseTaskState(string value) =>
        Enum.TryParse<TaskState>(value, ignoreCase: true, out var state)
            ? state
            : throw new InvalidOperationException($"Unknown task status '{value}' in the database.");

    public static JobState ParseJobState(string value) =>
        Enum.TryParse<JobState>(value, ignoreCase: true, out var state)
            ? state
            : throw new InvalidOperationException($"Unknown job status '{value}' in the database.");

    /// <summary>The ids a query of one column of ids returns, given its <c>@ids</c> parameter; no round trip for none.</summary>
    public static async Task<IReadOnlySet<Guid>> ReadIdsAsync(NpgsqlDataSource dataSource, string query, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new HashSet<Guid>();
        if (ids.Count == 0)
        {
            return found;
        }

        var command = dataSource.CreateCommand(query);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    found.Add(reader.GetGuid(0));
                }
            }
        }

        return found;
    }

    /// <summary>Reads the <see cref="JobColumns"/> of a row, starting at column <paramref name="first"/>.</summary>
    public static JobRecord ReadJob(NpgsqlDataReader reader, int first = 0) => new(
        reader.GetGuid(first),
        reader.GetInt32(first + 1),
        reader.GetString(first + 2),
        reader.GetString(first + 3),
        ParseJobState(reader.GetString(first + 4)),
        reader.GetInt32(first + 5),
        reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6),
        reader.IsDBNull(first + 7) ? null : reader.GetString(first + 7),
        reader.IsDBNull(first + 8) ? null : reader.GetFieldValue<DateTimeOffset>(first + 8),
        reader.IsDBNull(first + 9) ? null : reader.GetFieldValue<DateTimeOffset>(first + 9));

    /// <summary>Reads the first five columns of a row of <see cref="TaskColumns"/>.</summary>
    public static (Guid Id, TaskState Status, string? Goal, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt) ReadTask(NpgsqlDataReader reader) => (
        reader.GetGuid(0),
        ParseTaskState(reader.GetString(1)),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.GetFieldValue<DateTimeOffset>(4));

    /// <summary>
    /// " AND owner = @owner", or nothing for no <paramref name="owner"/> (a caller inside the cluster, who sees every
    /// task): appended to a condition on tasks, with <see cref="OwnerParameter"/>.
    /// </summary>
    public static string OwnedBy(string? owner, string tasks = "") => owner is null ? string.Empty : $" AND {tasks}owner = @owner";

    public static NpgsqlParameter<string> OwnerParameter(string owner) => new("owner", owner);

    /// <summary>
    /// The task with its jobs in order, inside <paramref name="transaction"/> if given; null when unknown, or not
    /// <paramref name="owner"/>'s (null: anyone's).
    /// </summary>
    public static async Task<TaskRecord?> GetTaskAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, string? owner, CancellationToken cancellationToken)
    {
        var where = "id = @id" + OwnedBy(owner);
        var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT {TaskColumns} FROM tasks WHERE {where}"),
                new NpgsqlBatchCommand($"SELECT {JobColumns} FROM jobs WHERE task_id = (SELECT id FROM tasks WHERE {where}) ORDER BY seq"),
            },
        };
        foreach (var command in batch.BatchCommands)
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            if (owner is not null)
            {
                command.Parameters.Add(OwnerParameter(owner));
            }
        }

        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                var task = ReadTask(reader);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                var jobs = new List<JobRecord>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    jobs.Add(ReadJob(reader));
                }

                return new TaskRecord(task.Id, task.Status, task.Goal, task.CreatedAt, task.UpdatedAt, jobs);
            }
        }
    }
}
