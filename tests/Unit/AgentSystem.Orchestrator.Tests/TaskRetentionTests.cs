using System.Diagnostics.Metrics;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Services;
using AgentSystem.Orchestrator.Tests.Fakes;
using AgentSystem.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TaskRetentionTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeTaskRepository _repository;
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public TaskRetentionTests() => _repository = new FakeTaskRepository(_time);

    public void Dispose() => _metrics.Dispose();

    private IMeterFactory Meters => _metrics.GetRequiredService<IMeterFactory>();

    [Fact]
    public async Task A_round_deletes_the_final_tasks_older_than_the_period_batch_by_batch_and_keeps_the_rest()
    {
        var old = await FinishedTasksAsync(5);
        var running = await _repository.CreateAsync(Task(), CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        var recent = await FinishedTasksAsync(1);

        var counted = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meters) =>
        {
            // This test's meter only: the process-wide listener also hears the orchestrators other tests host.
            if (instrument.Name == TaskRetention.DeletedInstrument && ReferenceEquals(instrument.Meter.Scope, Meters))
            {
                meters.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => counted.Add(value));
        listener.Start();

        var deleted = await Retention(new RetentionOptions { BatchSize = 2, BatchPause = TimeSpan.Zero }).RunOnceAsync(CancellationToken.None);

        Assert.Equal(5, deleted);
        Assert.Equal([2, 2, 1], counted);
        Assert.Equal([2, 2, 2], _repository.DeleteCalls);   // the third found 1 of 2: no fourth
        foreach (var id in old)
        {
            Assert.Null(await _repository.GetAsync(id, owner: null, CancellationToken.None));
        }

        Assert.NotNull(await _repository.GetAsync(running.Task.Id, owner: null, CancellationToken.None));
        Assert.NotNull(await _repository.GetAsync(recent[0], owner: null, CancellationToken.None));
    }

    [Fact]
    public async Task A_period_of_zero_keeps_every_task()
    {
        await FinishedTasksAsync(1);
        _time.Advance(TimeSpan.FromDays(3650));
        var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs));
        using var retention = new TaskRetention(
            _repository, Options.Create(new RetentionOptions { FinishedTasks = TimeSpan.Zero }), _time, Meters, loggers.CreateLogger<TaskRetention>());

        await retention.StartAsync(CancellationToken.None);
        await retention.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));   // a round would wait for the fake clock

        Assert.Empty(_repository.DeleteCalls);
        Assert.Equal(1, _repository.TaskCount);
        Assert.Contains(logs.Entries, entry => entry.Message.Contains("keeping every task", StringComparison.Ordinal));
    }

    private TaskRetention Retention(RetentionOptions options) =>
        new(_repository, Options.Create(options), _time, Meters, NullLogger<TaskRetention>.Instance);

    private static NewTask Task() => new(null, [new NewJob(JobTypes.Echo, "x")], null, null, null);

    private async Task<List<Guid>> FinishedTasksAsync(int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var created = await _repository.CreateAsync(Task(), CancellationToken.None);
            _repository.SetJob(created.Task.Jobs[0].Id, JobState.Succeeded, result: "x");
            ids.Add(created.Task.Id);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        return ids;
    }
}
