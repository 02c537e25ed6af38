using AgentSystem.Orchestrator.Infrastructure;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Planning;
using AgentSystem.Orchestrator.Services;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var services = builder.Services;
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, OrchestratorJsonContext.Default));
        services.AddSingleton(TimeProvider.System);
        // Throw in every environment (not only Development), so a bad query or route value gets a 400 with a reason.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddExceptionHandler<OrchestratorExceptionHandler>();

        // PostgreSQL (ConnectionStrings:Postgres) and Redis (Redis:Configuration), each validated at start with a
        // message naming what is missing.
        builder.AddStore();
        builder.AddJobQueue();

        services.AddOptions<TasksOptions>()
            .Bind(builder.Configuration.GetSection(TasksOptions.SectionName))
            // At most half the bodies' budget: a body's buffer grows by doubling (JsonBody), and one past it could never be read.
            .Validate(o => o.MaxRequestBodyBytes is >= 1024 and <= BodyBuffers.DefaultBudget / 2, $"Tasks:MaxRequestBodyBytes must be from 1024 to {BodyBuffers.DefaultBudget / 2} bytes.")
            .Validate(o => Within(o.EnqueueTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5)), "Tasks:EnqueueTimeout must be from 00:00:00.001 to 00:05:00.")
            .Validate(o => o.MaxStoredBytesPerKey is 0 or >= 1024 * 1024, "Tasks:MaxStoredBytesPerKey must be 0 (no limit) or at least 1048576 bytes (1 MiB).")
            .ValidateOnStart();
        services.AddOptions<EventsOptions>()
            .Bind(builder.Configuration.GetSection(EventsOptions.SectionName))
            .Validate(o => Within(o.ResyncInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)), "Events:ResyncInterval must be from 00:00:00.010 to 01:00:00.")
            .Validate(o => Within(o.Heartbeat, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)), "Events:Heartbeat must be from 00:00:00.001 to 01:00:00.")
            .Validate(o => Within(o.ListenAfterLastStream, TimeSpan.Zero, TimeSpan.FromHours(1)), "Events:ListenAfterLastStream must be from 00:00:00 to 01:00:00.")
            .ValidateOnStart();
        services.AddSingleton<TaskSubmitter>();
        services.AddSingleton<TaskEventsHub>();
        services.AddHostedService(static services => services.GetRequiredService<TaskEventsHub>());

        builder.AddPlanner();
        builder.AddDispatcher();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionSettings.SectionName).AddRetention<RetentionOptions, TaskRetention>();

        return builder;
    }

    /// <summary>The deterministic planner, or the LLM planner (which falls back to it) when <c>Planner:UseLlm</c> is true.</summary>
    private static void AddPlanner(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PlannerOptions>()
            .Bind(builder.Configuration.GetSection(PlannerOptions.SectionName))
            .Validate(o => o.ChatUrl is { IsAbsoluteUri: true, Scheme: "http" or "https" }, "Planner:ChatUrl must be an absolute http or https URL, e.g. http://chat:3001.")
            .Validate(o => Within(o.Timeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)), "Planner:Timeout must be from 00:00:00.100 to 00:05:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<DeterministicTaskPlanner>();
        builder.Services.AddHttpClient<LlmTaskPlanner>(static (services, client) =>
        {
            var options = services.GetRequiredService<IOptions<PlannerOptions>>().Value;
            var url = options.ChatUrl.ToString();
            client.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
            client.Timeout = options.Timeout;
        }).AddInternalKey()
            // The internal key is a header of ours, which a redirect would carry to another host.
            .UseSocketsHttpHandler(static (handler, _) => handler.AllowAutoRedirect = false);
        // Chosen when resolved, from the bound options, so every configuration source (tests' included) counts.
        builder.Services.AddTransient<ITaskPlanner>(static services =>
            services.GetRequiredService<IOptions<PlannerOptions>>().Value.UseLlm
                ? services.GetRequiredService<LlmTaskPlanner>()
                : services.GetRequiredService<DeterministicTaskPlanner>());
    }

    private static void AddDispatcher(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DispatcherOptions>()
            .Bind(builder.Configuration.GetSection(DispatcherOptions.SectionName))
            .Validate(o => Within(o.Interval, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1)), "Dispatcher:Interval must be from 00:00:00.010 to 1.00:00:00.")
            .Validate(o => Within(o.StaleAfter, TimeSpan.Zero, TimeSpan.FromDays(7)), "Dispatcher:StaleAfter must be from 00:00:00 to 7.00:00:00.")
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "Dispatcher:BatchSize must be from 1 to 10000.")
            .Validate(o => o.MaxBatchesPerRound is >= 1 and <= 10_000, "Dispatcher:MaxBatchesPerRound must be from 1 to 10000.")
            .Validate(o => Within(o.QueueTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5)), "Dispatcher:QueueTimeout must be from 00:00:00.001 to 00:05:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<JobDispatcher>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<JobDispatcher>());
    }

    private static bool Within(TimeSpan value, TimeSpan min, TimeSpan max) => value >= min && value <= max;
}
