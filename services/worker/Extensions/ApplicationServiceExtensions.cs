using System.Diagnostics.CodeAnalysis;
using AgentSystem.Queue;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Options;
using AgentSystem.Worker.Services;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentSystem.Worker.Extensions;

public static class ApplicationServiceExtensions
{
    /// <summary>The worker's own services; the queue and the store come from AddJobQueue and AddStore.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, WorkerJsonContext.Default));
        builder.Services.AddWorker();

        // Every committed job write is announced on Redis, for the orchestrator's event streams.
        builder.Services.Replace(ServiceDescriptor.Singleton<IJobRepository>(static services => new SignallingJobRepository(
            new JobRepository(services.GetRequiredService<NpgsqlDataSource>()), services.GetRequiredService<ITaskSignals>())));

        return builder;
    }

    /// <summary>
    /// Options, handlers, the consumer, the reclaimer, the cancellation listener and the metrics (needs IJobQueue,
    /// ITaskSignals, IJobRepository and IJobCancellationReader registered).
    /// </summary>
    public static IServiceCollection AddWorker(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>());
        // The host waits for the drain, then for the jobs being handed back; the kubelet's grace period (30 s) must cover both.
        services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) =>
            host.ShutdownTimeout = worker.Value.DrainTimeout + JobConsumer.ReturnGrace + TimeSpan.FromSeconds(2));
        services.TryAddSingleton(TimeProvider.System);

        // Job types: one class implementing IJobHandler, one line here.
        services.AddJobHandler<EchoHandler>();
        services.AddJobHandler<WordCountHandler>();
        services.AddJobHandler<HashHandler>();
        services.AddJobHandler<SleepHandler>();
        services.AddJobHandler<LlmHandler>();
        services.AddJobHandler<FailHandler>();
        services.AddChatClient();
        services.AddSingleton<JobHandlerRegistry>();

        services.AddSingleton(provider => new WorkerMetrics(provider.GetService<System.Diagnostics.Metrics.IMeterFactory>(), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<QueueDepthMonitor>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<JobBatches>();
        services.AddSingleton<LeaseRenewer>();
        services.AddSingleton<JobProcessor>();
        services.AddSingleton<JobConsumer>();
        services.AddSingleton<QueueReclaimer>();
        services.AddSingleton<CancellationListener>();
        services.AddHostedService(provider => provider.GetRequiredService<CancellationListener>());
        services.AddHostedService(provider => provider.GetRequiredService<JobConsumer>());
        services.AddHostedService(provider => provider.GetRequiredService<QueueReclaimer>());

        return services;
    }

    public static IServiceCollection AddJobHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        ArgumentNullException.ThrowIfNull(services);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, THandler>());
        return services;
    }

    // A typed client held by a singleton handler: connections are recycled by the pool's lifetime, not by the factory.
    private static void AddChatClient(this IServiceCollection services) =>
        services.AddHttpClient<ChatClient>((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptions<WorkerOptions>>().Value;
                client.BaseAddress = new Uri(options.ChatUrl.TrimEnd('/') + "/");
                client.Timeout = options.ChatTimeout;
            })
            .AddInternalKey()
            .UseSocketsHttpHandler((handler, _) =>
            {
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2);
                // The internal key is a header of ours, which a redirect would carry to another host.
                handler.AllowAutoRedirect = false;
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
}
