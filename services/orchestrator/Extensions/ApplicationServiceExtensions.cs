using AgentSystem.Orchestrator.Services;

namespace AgentSystem.Orchestrator.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, OrchestratorJsonContext.Default));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ITaskStore, InMemoryTaskStore>();

        return builder;
    }
}
