using AgentSystem.Queue;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using StackExchange.Redis;

// eShop's convention (as ServiceDefaults): the extensions are in scope in every Program.cs without a using.
namespace Microsoft.Extensions.Hosting;

public static class QueueServiceExtensions
{
    /// <summary>The configuration key of the Redis connection string (environment: Redis__Configuration).</summary>
    public const string RedisConfigurationKey = "Redis:Configuration";

    /// <summary>The configuration key of the password Redis requires, if any (environment: Redis__Password).</summary>
    public const string RedisPasswordKey = "Redis:Password";

    public const string HealthCheckName = "redis";

    /// <summary>The tag ServiceDefaults' /readyz selects (ServiceDefaultsExtensions.ReadyTag).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Registers <see cref="IJobQueue"/> and <see cref="ITaskSignals"/> (Redis), their options (section "Queue", validated at start), one shared
    /// <see cref="ConnectionMultiplexer"/> from <c>Redis:Configuration</c> and the "ready" Redis check.
    /// </summary>
    public static IHostApplicationBuilder AddJobQueue(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(static d => d.ServiceType == typeof(RedisJobQueue)))
        {
            return builder;   // already added: a second health check of the same name would fail every probe
        }

        var configuration = builder.Configuration;
        builder.Services.AddOptions<QueueOptions>()
            .Bind(configuration.GetSection(QueueOptions.SectionName))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueueOptions>, QueueOptionsValidator>());

        builder.Services.AddOptions<RedisConnectionOptions>()
            .Configure(options =>
            {
                options.Configuration = configuration[RedisConfigurationKey];
                options.Password = configuration[RedisPasswordKey];
            })
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisConnectionOptions>, RedisConnectionOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisPasswordAudit>());

        builder.Services.TryAddSingleton(static services =>
            RedisConnection.Connect(services.GetRequiredService<IOptions<RedisConnectionOptions>>().Value));
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(static services => services.GetRequiredService<ConnectionMultiplexer>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<RedisJobQueue>();
        builder.Services.TryAddSingleton<IJobQueue>(static services => services.GetRequiredService<RedisJobQueue>());
        builder.Services.TryAddSingleton<ITaskSignals, RedisTaskSignals>();

        // AspNetCore.HealthChecks.Redis: PING on the shared multiplexer (a cluster also reports its state).
        builder.Services.AddHealthChecks().AddRedis(static services => services.GetRequiredService<IConnectionMultiplexer>(), HealthCheckName, tags: [ReadyTag]);

        // Redis commands as client spans of the request or job that sent them (the client's profiler API, on the
        // shared multiplexer); this takes effect where the host adds tracing (ServiceDefaults' AddTelemetry).
        builder.Services.ConfigureOpenTelemetryTracerProvider(static tracing => tracing.AddRedisInstrumentation());

        return builder;
    }
}
