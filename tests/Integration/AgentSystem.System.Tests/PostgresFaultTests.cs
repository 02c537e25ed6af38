using System.Diagnostics;
using System.Globalization;

namespace AgentSystem.SystemTests;

/// <summary>
/// PostgreSQL unavailable (the container paused: connections hang, nothing answers) while a job runs: the worker keeps
/// the lease and acknowledges nothing until the result is committed (docs/queue.md, step 7), then the job completes once.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PostgresFaultTests(SystemFixture system, ITestOutputHelper output)
{
    // Long enough that the pause (a Docker API call, slow on a busy engine) lands before the result is written.
    private const int SleepMilliseconds = 4000;

    /// <summary>How long PostgreSQL stays paused after the job was seen running: past the job's end, by a margin.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(SleepMilliseconds + 2000);

    [Fact]
    public async Task With_PostgreSQL_paused_the_worker_acknowledges_nothing_early_and_the_job_completes_once()
    {
        await system.RecoverAsync();
        try
        {
            var before = await FaultProbe.WorkerCountersAsync(system);
            var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new[] { new { type = "sleep", input = SleepMilliseconds.ToString(CultureInfo.InvariantCulture) } } });
            var task = Guid.Parse(submitted.GetProperty("id").GetString()!);
            Guid[] tasks = [task];

            await FaultProbe.WaitUntilAsync(system, "the job running", TimeSpan.FromSeconds(20),
                async () => (await FaultProbe.JobsAsync(system, tasks)).Single().Status == "running",
                async () => FaultProbe.Describe(await FaultProbe.JobsAsync(system, tasks)));
            // Marked running soon after it started to sleep (Worker:RunningMarkAfter): it ends within SleepMilliseconds of now, inside the pause.
            var running = Stopwatch.StartNew();
            var job = (await FaultProbe.JobsAsync(system, tasks)).Single().Id;

            var samples = new List<string>();
            await system.PostgresContainer.PauseAsync();
            try
            {
                while (running.Elapsed < Pause)
                {
                    var lease = await FaultProbe.LeaseAsync(system, job);
                    var known = await FaultProbe.IsKnownAsync(system, job);
                    samples.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{running.Elapsed.TotalMilliseconds:0} ms: {(lease is { } l ? $"leased, attempt {l.Attempt}, deadline {l.Deadline}" : "not leased")}, {(known ? "known" : "unknown")}"));
                    Assert.True(lease is { Attempt: 1 } && known,
                        $"with PostgreSQL paused the job must stay leased (not acknowledged, not reclaimed):{Environment.NewLine}{string.Join(Environment.NewLine, samples)}{Environment.NewLine}{system.Diagnostics()}");
                    await Task.Delay(250);
                }
            }
            finally
            {
                await system.PostgresContainer.UnpauseAsync();
            }
            output.WriteLine($"PostgreSQL paused {running.Elapsed.TotalSeconds:0.0} s after the job was seen running; Redis meanwhile:");
            foreach (var sample in samples)
            {
                output.WriteLine(sample);
            }

            var final = await TaskApi.WaitFinalAsync(system.Api, task.ToString(), TimeSpan.FromSeconds(30), system.Diagnostics);
            Assert.True(final.GetProperty("status").GetString() == "succeeded", $"{final}{Environment.NewLine}{system.Diagnostics()}");
            var row = (await FaultProbe.JobsAsync(system, tasks)).Single();
            Assert.Equal((1L, 1L, 1L), (await FaultProbe.CountsAsync(system, tasks))[task]);
            Assert.Equal(SleepMilliseconds.ToString(CultureInfo.InvariantCulture), row.Result);
            Assert.True(row.Attempts == 1, $"the lease was kept through the pause, so no second delivery: {row}");
            output.WriteLine($"workers during the test: {(await FaultProbe.WorkerCountersAsync(system)).Minus(before)}");

            // Acknowledged once the result was committed: no lease and no trace in Redis left.
            await FaultProbe.WaitUntilAsync(system, "the job acknowledged in Redis", TimeSpan.FromSeconds(10),
                async () => await FaultProbe.LeaseAsync(system, job) is null && !await FaultProbe.IsKnownAsync(system, job));
        }
        finally
        {
            await system.RecoverAsync();
        }
    }
}
