using AgentSystem.Testing.Containers;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>AddJobQueue: configuration checked at start, one multiplexer, the queue and a "ready" health check.</summary>
public sealed class QueueRegistrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Start_fails_naming_Redis_Configuration_when_it_is_missing()
    {
        using var host = Build([]);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Redis:Configuration", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_fails_on_invalid_queue_options()
    {
        using var host = Build(new()
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Queue:VisibilityTimeout"] = "00:00:00",
            ["Queue:MaxAttempts"] = "0",
        });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("VisibilityTimeout", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_queue_is_registered_with_the_bound_options_and_reports_ready()
    {
        var prefix = RedisFixture.NewKeyPrefix(nameof(QueueRegistrationTests));
        using var host = Build(new()
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Queue:Prefix"] = prefix,
            ["Queue:VisibilityTimeout"] = "00:00:05",
            ["Queue:MaxAttempts"] = "5",
        });
        await host.StartAsync();

        var queue = Assert.IsType<RedisJobQueue>(host.Services.GetRequiredService<IJobQueue>());
        Assert.Same(host.Services.GetRequiredService<ConnectionMultiplexer>(), host.Services.GetRequiredService<IConnectionMultiplexer>());
        var options = host.Services.GetRequiredService<IOptions<QueueOptions>>().Value;
        Assert.Equal((prefix, TimeSpan.FromSeconds(5), 5), (options.Prefix, options.VisibilityTimeout, options.MaxAttempts));
        Assert.StartsWith(prefix + "notify:", queue.NotifyChannelName, StringComparison.Ordinal);
        var health = await host.CheckReadyAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains(QueueServiceExtensions.HealthCheckName, health.Entries.Keys);
        await host.StopAsync();
    }

    [Fact]
    public async Task Redis_down_is_reported_unhealthy_without_failing_start()
    {
        var health = await RegistrationHost.ReadinessAsync(builder => builder.AddJobQueue(), new() { ["Redis:Configuration"] = "127.0.0.1:1,connectTimeout=500" });

        Assert.Equal(HealthStatus.Unhealthy, health.Status);
    }

    [Fact]
    public async Task Adding_it_twice_is_harmless()
    {
        var health = await RegistrationHost.ReadinessAsync(builder => builder.AddJobQueue().AddJobQueue(), new() { ["Redis:Configuration"] = redis.Configuration });

        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    private static IHost Build(Dictionary<string, string?> settings) => RegistrationHost.Build(builder => builder.AddJobQueue(), settings);
}
