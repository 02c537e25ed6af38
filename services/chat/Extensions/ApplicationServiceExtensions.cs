using AgentSystem.Chat.Providers;

namespace AgentSystem.Chat.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default));
        builder.Services.AddSingleton<IChatProvider, OfflineChatProvider>();

        return builder;
    }
}
