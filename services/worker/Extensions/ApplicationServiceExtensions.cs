using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Services;

namespace AgentSystem.Worker.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, WorkerJsonContext.Default));
        builder.Services.AddSingleton<IJobHandler, EchoHandler>();
        builder.Services.AddSingleton<IJobHandler, WordCountHandler>();
        builder.Services.AddSingleton<IJobHandler, HashHandler>();
        builder.Services.AddSingleton<JobHandlerRegistry>();
        builder.Services.AddSingleton<WorkerMetrics>();
        builder.Services.AddSingleton<JobExecutor>();

        return builder;
    }
}
