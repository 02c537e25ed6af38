using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Services;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSystem.Worker.Tests;

public sealed class JobExecutorTests
{
    private readonly WorkerMetrics _metrics = new();

    private JobExecutor Executor(params IJobHandler[] handlers) =>
        new(new JobHandlerRegistry(handlers), _metrics, NullLogger<JobExecutor>.Instance);

    [Fact]
    public async Task Successful_job_returns_output_and_counts_as_processed()
    {
        var outcome = await Executor(new WordCountHandler()).ExecuteAsync(HandlerTests.Job(JobTypes.WordCount, "a b"), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal("2", outcome.Output);
        Assert.Equal(new MetricsSnapshot(1, 0), _metrics.Snapshot());
    }

    [Fact]
    public async Task Unknown_type_fails_and_counts_as_failed()
    {
        var outcome = await Executor(new EchoHandler()).ExecuteAsync(HandlerTests.Job(JobTypes.Sleep, "1"), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Contains("'sleep'", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(new MetricsSnapshot(0, 1), _metrics.Snapshot());
    }

    [Fact]
    public async Task Throwing_handler_fails_the_job_not_the_worker()
    {
        var outcome = await Executor(new ThrowingHandler()).ExecuteAsync(HandlerTests.Job(JobTypes.Llm, "x"), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("model unavailable", outcome.Error);
        Assert.Equal(new MetricsSnapshot(0, 1), _metrics.Snapshot());
    }

    private sealed class ThrowingHandler : IJobHandler
    {
        public string Type => JobTypes.Llm;

        public Task<string> HandleAsync(JobMessage job, CancellationToken ct) => throw new InvalidOperationException("model unavailable");
    }
}
