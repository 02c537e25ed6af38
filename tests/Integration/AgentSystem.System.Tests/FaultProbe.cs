using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentSystem.Queue;
using Npgsql;

namespace AgentSystem.SystemTests;

/// <summary>A job row as PostgreSQL holds it (the truth, docs/queue.md).</summary>
public sealed record JobRow(Guid Id, Guid TaskId, int Seq, string Type, string Input, string Status, int Attempts, string? Result);

/// <summary>The workers' counters (GET /metrics), summed over the live workers.</summary>
public sealed record WorkerCounters(long Processed, long Skipped, long Reclaimed, long StoreRetries, long InFlight)
{
    public WorkerCounters Minus(WorkerCounters other) => new(
        Processed - other.Processed, Skipped - other.Skipped, Reclaimed - other.Reclaimed, StoreRetries - other.StoreRetries, InFlight);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"processed {Processed}, skipped (duplicate or final deliveries) {Skipped}, reclaimed {Reclaimed}, store retries {StoreRetries}, in flight {InFlight}");
}

/// <summary>What the fault tests look at besides the API: PostgreSQL rows, Redis keys and the workers' metrics.</summary>
public static class FaultProbe
{
    public static async Task<List<JobRow>> JobsAsync(SystemFixture system, IEnumerable<Guid> taskIds)
    {
        await using var connection = new NpgsqlConnection(system.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, task_id, seq, type, input, status, attempts, result FROM jobs WHERE task_id = ANY(@ids) ORDER BY task_id, seq", connection);
        command.Parameters.AddWithValue("ids", taskIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<JobRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new JobRow(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rows;
    }

    /// <summary>Per task: how many job rows, distinct job ids and succeeded rows PostgreSQL counts.</summary>
    public static async Task<Dictionary<Guid, (long Rows, long Distinct, long Succeeded)>> CountsAsync(SystemFixture system, IEnumerable<Guid> taskIds)
    {
        await using var connection = new NpgsqlConnection(system.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT task_id, count(*), count(DISTINCT id), count(*) FILTER (WHERE status = 'succeeded') FROM jobs WHERE task_id = ANY(@ids) GROUP BY task_id",
            connection);
        command.Parameters.AddWithValue("ids", taskIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<Guid, (long, long, long)>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetGuid(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }

        return counts;
    }

    /// <summary>The jobs waiting in every client's lane, counted by the queue's own script.</summary>
    public static async Task<long> QueueLengthAsync(SystemFixture system)
    {
        var prefix = SystemFixture.QueuePrefix;
        var stats = await system.RedisAsync("EVAL", QueueScripts.Stats, "4", prefix + "queue", prefix + "processing", prefix + "dead", prefix + "ready");
        return long.Parse(stats.Split('\n')[0], CultureInfo.InvariantCulture);
    }

    public static async Task<long> ProcessingCountAsync(SystemFixture system) =>
        long.Parse(await system.RedisAsync("ZCARD", SystemFixture.QueuePrefix + "processing") ?? "0", CultureInfo.InvariantCulture);

    public static async Task<bool> IsKnownAsync(SystemFixture system, Guid jobId) =>
        await system.RedisAsync("SISMEMBER", SystemFixture.QueuePrefix + "known", jobId.ToString()) == "1";

    /// <summary>The lease of the job in the processing set: its deadline (ms since the epoch, Redis's clock) and attempt; null when not leased.</summary>
    public static async Task<(long Deadline, int Attempt)?> LeaseAsync(SystemFixture system, Guid jobId)
    {
        var reply = await system.RedisAsync("ZRANGE", SystemFixture.QueuePrefix + "processing", "0", "-1", "WITHSCORES") ?? string.Empty;
        var lines = reply.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            using var message = JsonDocument.Parse(lines[i]);
            if (message.RootElement.GetProperty("jobId").GetGuid() == jobId)
            {
                return ((long)double.Parse(lines[i + 1], CultureInfo.InvariantCulture), message.RootElement.GetProperty("attempt").GetInt32());
            }
        }
        return null;
    }

    public static async Task<WorkerCounters> WorkerCountersAsync(SystemFixture system)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        long processed = 0, skipped = 0, reclaimed = 0, storeRetries = 0, inFlight = 0;
        foreach (var worker in system.Workers.Where(w => !w.HasExited))
        {
            using var metrics = JsonDocument.Parse(await http.GetStringAsync(new Uri(worker.BaseAddress, "/metrics")));
            var root = metrics.RootElement;
            processed += root.GetProperty("processed").GetInt64();
            skipped += root.GetProperty("skipped").GetInt64();
            reclaimed += root.GetProperty("reclaimed").GetInt64();
            storeRetries += root.GetProperty("storeRetries").GetInt64();
            inFlight += root.GetProperty("inFlight").GetInt64();
        }
        return new WorkerCounters(processed, skipped, reclaimed, storeRetries, inFlight);
    }

    /// <summary>Polls the condition until it holds; fails with the description and the services' output after the timeout.</summary>
    public static async Task WaitUntilAsync(SystemFixture system, string what, TimeSpan timeout, Func<Task<bool>> condition, Func<Task<string>>? state = null)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }
        var now = state is null ? string.Empty : await state();
        Assert.Fail($"not within {timeout.TotalSeconds} s: {what}. {now}{Environment.NewLine}{system.Diagnostics()}");
    }

    public static string Describe(IEnumerable<JobRow> jobs) =>
        string.Join(", ", jobs.GroupBy(j => j.Status).Select(g => $"{g.Count()} {g.Key}"));
}
