using System.Diagnostics;
using System.Globalization;
using AgentSystem.Testing.Containers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>
/// Redis killed and started again under a live multiplexer: with AOF and fsync always, queued and leased jobs survive,
/// the multiplexer reconnects by itself, the scripts run again and pub/sub wakes workers again.
/// </summary>
public sealed class QueueRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Queued_and_leased_jobs_survive_a_Redis_restart_with_AOF_and_the_multiplexer_reconnects()
    {
        await using var redis = await TestRedis.StartAsync(TestRedis.Builder([.. TestRedis.AppendOnlyArguments, "--appendfsync", "always"]));
        var port = redis.GetMappedPublicPort(RedisBuilder.RedisPort);
        await using var forwarder = new TcpForwarder(port);
        var configuration = ConfigurationOptions.Parse(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{forwarder.Port}"));
        configuration.AbortOnConnectFail = false;
        configuration.AllowAdmin = true;
        configuration.ConnectTimeout = 2000;
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        var logs = new ListLogger<RedisJobQueue>();
        using var queue = new RedisJobQueue(multiplexer, Options.Create(new QueueOptions { Prefix = "restart:" }), TimeProvider.System, logs);

        var jobs = QueueTestContext.Jobs(100);
        await queue.EnqueueAsync(jobs, CancellationToken.None);
        var leased = await queue.ClaimAsync(10, CancellationToken.None);
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);   // subscribed
        var runIdBefore = await RunIdAsync(multiplexer, forwarder.Port);

        // Kill (SIGKILL before Redis can write anything more) and start the same container again.
        await TestRedis.KillAndRestartAsync(redis);
        var newPort = redis.GetMappedPublicPort(RedisBuilder.RedisPort);
        forwarder.Retarget(newPort);
        output.WriteLine($"Redis container restarted; published port {port} -> {newPort}");

        var clock = Stopwatch.StartNew();
        var stats = await RetryAsync(() => queue.GetStatsAsync(CancellationToken.None));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first successful command {clock.Elapsed.TotalSeconds:0.00} s after the restart"));

        Assert.NotEqual(runIdBefore, await RunIdAsync(multiplexer, forwarder.Port));   // really a new server process
        Assert.Equal(new QueueStats(90, 10, 0), stats);
        Assert.Equal(jobs.Select(j => j.JobId).ToHashSet(), (await queue.FindKnownAsync([.. jobs.Select(j => j.JobId)], CancellationToken.None)).ToHashSet());
        var rest = await queue.ClaimAsync(1000, CancellationToken.None);
        Assert.Equal(jobs.Skip(10).Select(j => j.JobId), rest.Select(c => c.Message.JobId));   // order kept
        Assert.Empty(await queue.RenewAsync([leased[0]], CancellationToken.None));
        await queue.AckAsync([leased[0]], CancellationToken.None);

        // Pub/sub is back too (the multiplexer re-subscribes). The subscription connection reconnects on its own, at
        // times seconds after commands work again (a publish before that is missed, and its return wakes instead).
        var channel = RedisChannel.Literal(queue.NotifyChannelName);
        // Connected is not subscribed again: wait for both, as QueueWakeTests does.
        while (!multiplexer.GetSubscriber().IsConnected(channel) || multiplexer.GetSubscriber().SubscribedEndpoint(channel) is null)
        {
            Assert.True(clock.Elapsed < RecoveryTimeout, "the subscription connection did not come back");
            await Task.Delay(50);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"subscription connection back {clock.Elapsed.TotalSeconds:0.00} s after the restart"));

        // Drain the reconnects' own wake-ups, then wait for a real one.
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        var waiting = queue.WaitForWorkAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        await Task.Delay(50);
        clock.Restart();
        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        await waiting;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"woken after {clock.Elapsed.TotalMilliseconds} ms");

        foreach (var line in logs.Lines)
        {
            output.WriteLine($"queue log: {line}");
        }
    }

    private static async Task<string> RunIdAsync(ConnectionMultiplexer multiplexer, int port)
    {
        var server = multiplexer.GetServer("127.0.0.1", port);
        var info = await RetryAsync(() => server.InfoAsync("server"));
        return info.SelectMany(group => group).Single(pair => pair.Key == "run_id").Value;
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> operation)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException && deadline.Elapsed < RecoveryTimeout)
            {
                await Task.Delay(100);
            }
        }
    }

    private sealed class ListLogger<T> : ILogger<T>
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
