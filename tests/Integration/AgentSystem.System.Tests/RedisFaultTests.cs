using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentSystem.SystemTests;

/// <summary>
/// Redis faults under the running system (docs/queue.md: PostgreSQL is the truth, Redis the fast path): a restart
/// loses no job, and even a Redis emptied of everything is repaired by the orchestrator's dispatcher. Both leave the
/// system ready for the next test.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RedisFaultTests(SystemFixture system, ITestOutputHelper output)
{
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(60);

    /// <summary>Two workers: this many run at once, the rest wait in the Redis queue.</summary>
    private const int Slots = 2 * SystemFixture.WorkerConcurrency;

    [Fact]
    public async Task Redis_killed_and_restarted_mid_run_loses_no_job_and_each_counts_once()
    {
        await system.RecoverAsync();
        try
        {
            var before = await FaultProbe.WorkerCountersAsync(system);
            // More sleeps than slots, so at the kill some jobs are running (leased) and the others queued in Redis; long
            // enough to outlast the checks below, each a docker exec (6 s did not, once, on a busy machine).
            var first = await SubmitAsync([.. Enumerable.Repeat(("sleep", "15000"), Slots), ("echo", "after the restart"), ("wordcount", "one two three"), ("hash", "abc")]);
            var second = await SubmitAsync([.. Enumerable.Repeat(("sleep", "300"), 4), ("echo", "second")]);
            Guid[] tasks = [first, second];

            await FaultProbe.WaitUntilAsync(system, "jobs running in PostgreSQL and others queued in Redis", TimeSpan.FromSeconds(20),
                async () => (await FaultProbe.JobsAsync(system, tasks)).Any(j => j.Status == "running") && await FaultProbe.QueueLengthAsync(system) > 0,
                async () => FaultProbe.Describe(await FaultProbe.JobsAsync(system, tasks)));
            // Past AOF's one-second fsync window, so the state at the kill is on disk: this is the restart case (the
            // FLUSHALL test below is the loss case).
            await Task.Delay(TimeSpan.FromMilliseconds(1200));
            var atKill = await FaultProbe.JobsAsync(system, tasks);
            var queued = await FaultProbe.QueueLengthAsync(system);
            var leased = await FaultProbe.ProcessingCountAsync(system);

            var (killed, down) = await system.RestartRedisAsync();
            output.WriteLine($"at the kill: PostgreSQL {FaultProbe.Describe(atKill)}; Redis {queued} queued, {leased} leased");
            var (queuedAfter, leasedAfter) = (await FaultProbe.QueueLengthAsync(system), await FaultProbe.ProcessingCountAsync(system));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Redis {killed}, down {down.TotalSeconds:0.00} s; after its restart it holds {queuedAfter} queued, {leasedAfter} leased"));
            Assert.True(atKill.Any(j => j.Status == "running") && queued > 0, $"the kill should find jobs both running and queued: {FaultProbe.Describe(atKill)}, {queued} queued");

            await AssertAllSucceededOnceAsync(tasks, before);
        }
        finally
        {
            await system.RecoverAsync();
        }
    }

    [Fact]
    public async Task Redis_flushed_of_everything_with_jobs_queued_the_dispatcher_sends_them_again()
    {
        await system.RecoverAsync();
        try
        {
            var before = await FaultProbe.WorkerCountersAsync(system);
            var id = await SubmitAsync([.. Enumerable.Repeat(("sleep", "2000"), Slots),
                ("echo", "flushed"), ("echo", "and sent again"), ("wordcount", "a b c d"), ("wordcount", "e f"), ("hash", "abc"), ("hash", "xyz")]);
            Guid[] tasks = [id];

            await FaultProbe.WaitUntilAsync(system, "jobs running in PostgreSQL and others queued in Redis", TimeSpan.FromSeconds(20),
                async () => (await FaultProbe.JobsAsync(system, tasks)).Any(j => j.Status == "running") && await FaultProbe.QueueLengthAsync(system) > 0,
                async () => FaultProbe.Describe(await FaultProbe.JobsAsync(system, tasks)));
            var queued = await FaultProbe.QueueLengthAsync(system);

            var mark = system.Orchestrator.OutputMark;
            Assert.Equal("OK", await system.RedisAsync("FLUSHALL"));
            // The queued jobs are gone. The running ones' workers lease them again at their next renewal (docs/queue.md,
            // "The dispatcher"), which can come before the next look (ci205 counted 12 leases and ids): only the queue is
            // sure to be empty.
            Assert.Equal(0, await FaultProbe.QueueLengthAsync(system));
            output.WriteLine($"flushed Redis holding {queued} queued jobs ({await FaultProbe.ProcessingCountAsync(system)} leases taken back since); "
                + $"PostgreSQL: {FaultProbe.Describe(await FaultProbe.JobsAsync(system, tasks))}");

            // The queued rows were sent at submit time; once that is older than Dispatcher:StaleAfter (10 s) the
            // dispatcher finds Redis does not know them and sends them again.
            await AssertAllSucceededOnceAsync(tasks, before);

            // The dispatcher's line can reach us after the jobs it sent have run (its console logger writes from a queue
            // of its own, then the pipe): one CI run read nothing yet, with every job stored once.
            var resent = new Regex(@"\b[1-9][0-9]* sent to the queue", RegexOptions.None, TimeSpan.FromSeconds(1));
            string Dispatched() => system.Orchestrator.OutputSince(mark);
            await FaultProbe.WaitUntilAsync(system, "the dispatcher's line saying it sent jobs again", TimeSpan.FromSeconds(10),
                () => Task.FromResult(resent.IsMatch(Dispatched())),
                () => Task.FromResult($"orchestrator since the flush:{Environment.NewLine}{Dispatched()}"));
            output.WriteLine($"orchestrator since the flush:{Environment.NewLine}{Dispatched()}");
        }
        finally
        {
            await system.RecoverAsync();
        }
    }

    private async Task<Guid> SubmitAsync((string Type, string Input)[] jobs)
    {
        var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = jobs.Select(j => new { type = j.Type, input = j.Input }).ToArray() });
        return Guid.Parse(submitted.GetProperty("id").GetString()!);
    }

    /// <summary>
    /// Every task succeeded, through the API and in PostgreSQL: one row per job, each succeeded with its own result
    /// (a job delivered twice is still one row and one result: the write is idempotent).
    /// </summary>
    private async Task AssertAllSucceededOnceAsync(Guid[] tasks, WorkerCounters before)
    {
        foreach (var task in tasks)
        {
            var final = await TaskApi.WaitFinalAsync(system.Api, task.ToString(), Finish, system.Diagnostics);
            Assert.True(final.GetProperty("status").GetString() == "succeeded", $"task {task} ended {final}{Environment.NewLine}{system.Diagnostics()}");
        }

        var jobs = await FaultProbe.JobsAsync(system, tasks);
        var counts = await FaultProbe.CountsAsync(system, tasks);
        var delta = (await FaultProbe.WorkerCountersAsync(system)).Minus(before);
        output.WriteLine($"workers during the test: {delta}");
        output.WriteLine("attempts per job: " + string.Join(", ", jobs.Select(j => $"{j.Type}#{j.Seq}={j.Attempts}")));
        foreach (var job in jobs.Where(j => j.Attempts > 1))
        {
            output.WriteLine($"delivered {job.Attempts} times: {job.Type} job {job.Id}");
        }

        foreach (var task in tasks)
        {
            var taskJobs = jobs.Where(j => j.TaskId == task).ToList();
            Assert.True(counts[task] == (taskJobs.Count, taskJobs.Count, taskJobs.Count),
                $"task {task}: {counts[task]} (rows, distinct jobs, succeeded), expected {taskJobs.Count} of each");
        }
        foreach (var job in jobs)
        {
            Assert.Equal(Expected(job), job.Result);
        }
    }

    private static string Expected(JobRow job) => job.Type switch
    {
        "sleep" or "echo" => job.Input,
        "hash" => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(job.Input))),
        "wordcount" => job.Input.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException(job.Type),
    };
}
