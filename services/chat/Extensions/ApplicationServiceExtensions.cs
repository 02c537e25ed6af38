using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Providers;
using AgentSystem.Chat.Storage;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default);
            options.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        builder.Services.AddSingleton(TimeProvider.System);
        // Throw in every environment (not only Development), so a malformed body gets the same 400 with a reason.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<ChatExceptionHandler>();
        builder.Services.AddOptions<ChatOptions>().BindConfiguration(ChatOptions.SectionName)
            .Validate(o => o.Heartbeat >= TimeSpan.FromMilliseconds(1) && o.Heartbeat <= TimeSpan.FromMinutes(5), "Chat:Heartbeat must be from 00:00:00.001 to 00:05:00.")
            .Validate(o => o.MaxStoredBytesPerKey is 0 or >= 1024 * 1024, "Chat:MaxStoredBytesPerKey must be 0 (no limit) or at least 1048576 bytes (1 MiB).")
            .ValidateOnStart();
        builder.AddChatProvider();
        builder.AddConversationStore();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionSettings.SectionName).AddRetention<RetentionOptions, ConversationRetention>();
        builder.Services.AddHostedService<StartupReport>();

        return builder;
    }

    // The OpenAI-compatible API when Llm:BaseUrl is set, else the offline provider.
    private static void AddChatProvider(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LlmOptions>().BindConfiguration(LlmOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LlmOptions>, LlmOptionsValidator>();

        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{LlmOptions.SectionName}:{nameof(LlmOptions.BaseUrl)}"]))
        {
            builder.Services.AddSingleton<IChatProvider, OfflineChatProvider>();
            return;
        }

        builder.Services.AddHttpClient<IChatProvider, OpenAiChatProvider>((services, client) =>
        {
            var options = services.GetRequiredService<IOptions<LlmOptions>>().Value;
            client.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
            client.Timeout = options.Timeout;
            if (!string.IsNullOrWhiteSpace(options.ApiKey))
            {
                client.DefaultRequestHeaders.Authorization = new("Bearer", options.ApiKey);
            }
        });
    }

    // PostgreSQL when ConnectionStrings:Postgres is set (ready once chat's schema is migrated), else in memory.
    private static void AddConversationStore(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[StoreServiceExtensions.ConnectionStringKey]))
        {
            builder.Services.AddSingleton<IConversationStore, InMemoryConversationStore>();
            return;
        }

        builder.AddPostgresDataSource();
        builder.Services.AddSingleton<IConversationStore, PostgresConversationStore>();
        builder.Services.AddHealthChecks().AddPostgres(ChatSchema.HistoryTable, ChatSchema.LatestVersion);
    }
}

/// <summary>Says at start which provider answers and where conversations are kept.</summary>
internal sealed partial class StartupReport(IServiceProvider services, ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var provider = services.GetRequiredService<IChatProvider>().Name;
        var store = services.GetRequiredService<IConversationStore>() is PostgresConversationStore ? "PostgreSQL" : "memory (lost on restart)";
        LogChoices(logger, provider, store);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat provider: {Provider}; conversations kept in {Store}")]
    private static partial void LogChoices(ILogger logger, string provider, string store);
}
