using AgentSystem.Queue;
using AgentSystem.Worker.Extensions;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Options;
using AgentSystem.Worker.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Tests.Fakes;

/// <summary>The worker's real services (AddWorker) on the in-memory queue and store, with the consumer started by hand.</summary>
public sealed class WorkerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private bool _started;
    private bool _stopped;

    public WorkerHarness(Action<WorkerOptions>? worker = null, Action<QueueOptions>? queue = null, params IJobHandler[] handlers)
    {
        var queueOptions = new QueueOptions();
        queue?.Invoke(queueOptions);
        Queue = new FakeJobQueue(Log, queueOptions.MaxAttempts);
        Store = new FakeJobRepository(Log);

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddWorker();
        services.Configure<WorkerOptions>(options =>
        {
            options.IdlePoll = TimeSpan.FromMilliseconds(200);
            options.DrainTimeout = TimeSpan.FromSeconds(10);
            worker?.Invoke(options);
        });
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(queueOptions));
        services.AddSingleton<IJobQueue>(Queue);
        services.AddSingleton<ITaskSignals>(Signals);
        services.AddSingleton<Store.IJobRepository>(Store);
        services.AddSingleton<Store.IJobCancellationReader>(Store);
        foreach (var handler in handlers)
        {
            services.AddSingleton(handler);
        }

        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public EventLog Log { get; } = new();

    public FakeJobQueue Queue { get; }

    public FakeJobRepository Store { get; }

    public FakeTaskSignals Signals { get; } = new();

    public CancellationListener Cancellations => _services.GetRequiredService<CancellationListener>();

    public IServiceProvider Services => _services;

    public JobConsumer Consumer => _services.GetRequiredService<JobConsumer>();

    public WorkerMetrics Metrics => _services.GetRequiredService<WorkerMetrics>();

    public WorkerOptions Options => _services.GetRequiredService<IOptions<WorkerOptions>>().Value;

    public async Task StartAsync()
    {
        _started = true;
        await Cancellations.StartAsync(CancellationToken.None);
        await Consumer.StartAsync(CancellationToken.None);
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await Consumer.StopAsync(CancellationToken.None);
        await Cancellations.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started && !_stopped)
        {
            await StopAsync();
        }

        await _services.DisposeAsync();
    }
}
