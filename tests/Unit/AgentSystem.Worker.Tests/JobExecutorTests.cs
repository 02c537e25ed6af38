using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Options;
using AgentSystem.Worker.Services;
using AgentSystem.Worker.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;

namespace AgentSystem.Worker.Tests;

public sealed class JobExecutorTests
{
    private static JobExecutor Executor(TimeSpan? timeout = null, params IJobHandler[] handlers) =>
        new(new JobHandlerRegistry(handlers), Microsoft.Extensions.Options.Options.Create(new WorkerOptions { JobTimeout = timeout ?? TimeSpan.FromMinutes(1) }), NullLogger<JobExecutor>.Instance);

    [Fact]
    public async Task Successful_job_returns_its_output()
    {
        var outcome = await Executor(null, new WordCountHandler()).ExecuteAsync(HandlerTests.Job(JobTypes.WordCount, "a b"), CancellationToken.None);

        Assert.Equal(new JobOutcome(JobOutcomeKind.Succeeded, "2", null), outcome);
    }

    [Fact]
    public async Task A_rejection_stores_its_whole_reason_and_logs_the_first_300_characters_of_it()
    {
        var input = new string('x', 65_536);
        var log = new FakeLogger<JobExecutor>();
        var executor = new JobExecutor(new JobHandlerRegistry([new FailHandler()]), Microsoft.Extensions.Options.Options.Create(new WorkerOptions()), log);

        var outcome = await executor.ExecuteAsync(HandlerTests.Job(JobTypes.Fail, input), CancellationToken.None);

        Assert.Equal(new JobOutcome(JobOutcomeKind.Rejected, null, input), outcome);
        var logged = Assert.Single(log.Collector.GetSnapshot()).Message;
        Assert.Contains(new string('x', JobExecutor.LoggedReasonChars) + "... (65536 characters)", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', JobExecutor.LoggedReasonChars + 1), logged, StringComparison.Ordinal);
        Assert.Equal("short", JobExecutor.ForLog("short"));
    }

    [Fact]
    public async Task Unknown_type_is_rejected_not_retried()
    {
        var outcome = await Executor(null, new EchoHandler()).ExecuteAsync(HandlerTests.Job(JobTypes.Sleep, "1"), CancellationToken.None);

        Assert.Equal(JobOutcomeKind.Rejected, outcome.Kind);
        Assert.Contains("'sleep'", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throwing_handler_fails_the_attempt_not_the_worker()
    {
        var outcome = await Executor(null, new FailingHandler()).ExecuteAsync(HandlerTests.Job(FailingHandler.TypeName, "x"), CancellationToken.None);

        Assert.Equal(new JobOutcome(JobOutcomeKind.Failed, null, "model unavailable"), outcome);
    }

    [Fact]
    public async Task Bad_input_is_rejected()
    {
        var outcome = await Executor(null, new SleepHandler(TimeProvider.System)).ExecuteAsync(HandlerTests.Job(JobTypes.Sleep, "-5"), CancellationToken.None);

        Assert.Equal(JobOutcomeKind.Rejected, outcome.Kind);
    }

    [Fact]
    public async Task A_handler_that_ignores_cancellation_still_times_out()
    {
        var outcome = await Executor(TimeSpan.FromMilliseconds(50), new StubbornHandler())
            .ExecuteAsync(HandlerTests.Job(StubbornHandler.TypeName, "x"), CancellationToken.None)
            .WaitAsync(Eventually.Timeout);

        Assert.Equal(JobOutcomeKind.Failed, outcome.Kind);
        Assert.StartsWith("Timed out after", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Abort_at_shutdown_is_reported_as_aborted_not_failed()
    {
        using var abort = new CancellationTokenSource();
        var gate = new GateHandler();
        var running = Executor(null, gate).ExecuteAsync(HandlerTests.Job(GateHandler.DefaultType, "x"), abort.Token);
        await Eventually.True(() => gate.Running == 1, "the handler to run");

        await abort.CancelAsync();

        Assert.Equal(JobOutcomeKind.Aborted, (await running.WaitAsync(Eventually.Timeout)).Kind);
    }
}
