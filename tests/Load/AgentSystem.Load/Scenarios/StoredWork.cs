using System.Diagnostics;
using AgentSystem.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentSystem.Load.Scenarios;

/// <summary>A job row as the load run reads it back: what the worker stored, and when.</summary>
internal sealed record StoredJob(Guid Id, Guid TaskId, string Status, int Attempts, string Input, string? Result, DateTimeOffset? FinishedAt);

/// <summary>
/// Rows the load run writes and reads in PostgreSQL, the system's truth: tasks and jobs created before they are enqueued
/// the way the orchestrator stores them (so the queue scenarios measure the queue path, not the insert), and what the workers stored.
/// </summary>
internal sealed class StoredWork(NpgsqlDataSource database)
{
    public const string Input = "load";

    /// <summary>What most phases run: jobs that return at once.</summary>
    public static readonly (string Type, string Input) Echo = (JobTypes.Echo, Input);

    /// <summary>
    /// <paramref name="tasks"/> tasks of <paramref name="jobsPerTask"/> jobs of <paramref name="work"/> (a type whose
    /// handler returns its input), queued and marked enqueued a day
    /// ahead (so an orchestrator's dispatcher leaves them to the run however slow it is: marked now, rows still unsent a
    /// minute later were re-sent, and a worker's write to one deadlocked with their deletion), written with COPY; returns
    /// their messages, task by task. One transaction: cancelled halfway, it leaves no tasks without their jobs behind.
    /// </summary>
    public async Task<IReadOnlyList<JobMessage[]>> CreateAsync(int tasks, int jobsPerTask, (string Type, string Input) work, CancellationToken cancellationToken)
    {
        var (type, input) = work;
        var created = new List<JobMessage[]>(tasks);
        var connection = await database.OpenConnectionAsync(cancellationToken);
        await using (connection)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var writer = await connection.BeginBinaryImportAsync("COPY tasks (id, status) FROM STDIN (FORMAT BINARY)", cancellationToken);
            await using (writer)
            {
                for (var t = 0; t < tasks; t++)
                {
                    var task = Guid.CreateVersion7();
                    created.Add([.. Enumerable.Range(0, jobsPerTask).Select(_ => new JobMessage(Guid.CreateVersion7(), task, type, input, 1, null))]);
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(task, NpgsqlDbType.Uuid, cancellationToken);
                    await writer.WriteAsync("queued", NpgsqlDbType.Text, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            writer = await connection.BeginBinaryImportAsync(
                "COPY jobs (id, task_id, seq, type, input, status) FROM STDIN (FORMAT BINARY)", cancellationToken);
            await using (writer)
            {
                foreach (var task in created)
                {
                    for (var seq = 0; seq < task.Length; seq++)
                    {
                        await writer.StartRowAsync(cancellationToken);
                        await writer.WriteAsync(task[seq].JobId, NpgsqlDbType.Uuid, cancellationToken);
                        await writer.WriteAsync(task[seq].TaskId, NpgsqlDbType.Uuid, cancellationToken);
                        await writer.WriteAsync(seq, NpgsqlDbType.Integer, cancellationToken);
                        await writer.WriteAsync(type, NpgsqlDbType.Text, cancellationToken);
                        await writer.WriteAsync(input, NpgsqlDbType.Text, cancellationToken);
                        await writer.WriteAsync("queued", NpgsqlDbType.Text, cancellationToken);
                    }
                }

                await writer.CompleteAsync(cancellationToken);
            }

            writer = await connection.BeginBinaryImportAsync("COPY job_dispatch (job_id, enqueued_at) FROM STDIN (FORMAT BINARY)", cancellationToken);
            await using (writer)
            {
                var marked = DateTimeOffset.UtcNow.AddDays(1);
                foreach (var job in created.SelectMany(task => task))
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(job.JobId, NpgsqlDbType.Uuid, cancellationToken);
                    await writer.WriteAsync(marked, NpgsqlDbType.TimestampTz, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return created;
    }

    /// <summary>Of these tasks, the ones final now (succeeded, failed or cancelled).</summary>
    /// <remarks>
    /// The status is filtered here, not in SQL: with a status condition the planner may scan tasks by the status index
    /// when its statistics predate the run (every task was queued when they were taken), reading every finished task
    /// on each poll; by id alone it can only look the ids up. The harness's queries take PostgreSQL's time from the
    /// system it measures.
    /// </remarks>
    public async Task<IReadOnlyList<Guid>> FinalAsync(IReadOnlyCollection<Guid> tasks, CancellationToken cancellationToken) =>
        [.. (await ReadTasksAsync(tasks, cancellationToken)).Where(row => IsFinal(row.Status)).Select(row => row.Id)];

    /// <summary>Whether a task's stored status is final (succeeded, failed or cancelled).</summary>
    public static bool IsFinal(string taskStatus) => Enum.Parse<TaskState>(taskStatus, ignoreCase: true).IsFinal();

    /// <summary>
    /// Waits until every one of <paramref name="jobs"/> is final, or <paramref name="timeout"/> passes (polling one
    /// count); returns how many are final.
    /// </summary>
    public async Task<long> WaitFinalAsync(IReadOnlyCollection<Guid> jobs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var ids = jobs.ToArray();
        while (true)
        {
            await using var command = database.CreateCommand(
                "SELECT count(*) FROM jobs WHERE id = ANY($1) AND status IN ('succeeded', 'failed', 'dead', 'cancelled')");
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
            var final = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (final >= ids.Length || watch.Elapsed > timeout)
            {
                return final;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>The jobs of these tasks.</summary>
    public async Task<IReadOnlyList<StoredJob>> ReadJobsAsync(IReadOnlyCollection<Guid> tasks, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT id, task_id, status, attempts, input, result, finished_at FROM jobs WHERE task_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. tasks] });
        var jobs = new List<StoredJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new StoredJob(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return jobs;
    }

    /// <summary>Each task's status and last change (the roll-up that made it final).</summary>
    public async Task<IReadOnlyList<(Guid Id, string Status, DateTimeOffset UpdatedAt)>> ReadTasksAsync(IReadOnlyCollection<Guid> tasks, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT id, status, updated_at FROM tasks WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. tasks] });
        var rows = new List<(Guid, string, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return rows;
    }
}
