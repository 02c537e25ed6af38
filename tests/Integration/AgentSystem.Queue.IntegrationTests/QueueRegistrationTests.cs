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

    [Fact]
    public async Task Redis_Password_is_presented_to_a_Redis_that_requires_one()
    {
        // A server of its own: the password would lock every other test out of the shared one.
        await using var server = await TestRedis.StartAsync(TestRedis.Builder());
        const string password = "a,password=with;what a connection string cannot hold";
        var set = await server.ExecAsync(["redis-cli", "CONFIG", "SET", "requirepass", password]);
        Assert.Equal(0, set.ExitCode);
        var configuration = server.GetConnectionString() + ",connectTimeout=2000";

        var with = await RegistrationHost.ReadinessAsync(builder => builder.AddJobQueue(), new()
        {
            ["Redis:Configuration"] = configuration + ",password=not-this-one",
            ["Redis:Password"] = password,
        });
        var without = await RegistrationHost.ReadinessAsync(builder => builder.AddJobQueue(), new() { ["Redis:Configuration"] = configuration });

        Assert.Equal(HealthStatus.Healthy, with.Status);
        Assert.Equal(HealthStatus.Unhealthy, without.Status);
    }

    [Theory]
    [InlineData("redis:6379", "dev-only-redis-password", true)]
    [InlineData("redis:6379,password=dev-only-redis-password", null, true)]
    [InlineData("redis:6379,password=dev-only-redis-password", "a-password-of-its-own", false)]
    [InlineData("redis:6379,password=a-password-of-its-own", null, false)]
    [InlineData("redis:6379", null, false)]
    [InlineData("redis:6379,nonsense", null, false)]
    public void The_repositorys_development_password_is_told_apart(string configuration, string? password, bool development) =>
        Assert.Equal(development, AgentSystem.Contracts.DevelopmentValues.Is(new RedisConnectionOptions { Configuration = configuration, Password = password }.EffectivePassword()));

    private static IHost Build(Dictionary<string, string?> settings) => RegistrationHost.Build(builder => builder.AddJobQueue(), settings);
}
