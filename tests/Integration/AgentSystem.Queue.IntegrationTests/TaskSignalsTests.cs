using System.Collections.Concurrent;
using System.Globalization;
using AgentSystem.Testing.Containers;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>Task signals: ids published by one process reach every subscriber of that channel, and a Redis restart asks them to resynchronise.</summary>
public sealed class TaskSignalsTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Ids_published_by_one_process_reach_the_subscribers_of_that_channel_only()
    {
        await using var publisher = await QueueTestContext.ConnectAsync(redis.Configuration);
        await using var subscriber = await QueueTestContext.ConnectAsync(redis.Configuration);
        var prefix = RedisFixture.NewKeyPrefix(nameof(TaskSignalsTests));
        var changed = new BlockingCollection<Guid>();
        var cancelled = new BlockingCollection<Guid>();
        using var a = await Signals(subscriber.Redis, prefix).SubscribeAsync(TaskSignal.Changed, changed.Add, () => { }, CancellationToken.None);
        using var b = await Signals(subscriber.Redis, prefix).SubscribeAsync(TaskSignal.Cancelled, cancelled.Add, () => { }, CancellationToken.None);
        var other = new BlockingCollection<Guid>();
        using var c = await Signals(subscriber.Redis, prefix + "other:").SubscribeAsync(TaskSignal.Changed, other.Add, () => { }, CancellationToken.None);

        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids)
        {
            Signals(publisher.Redis, prefix).Publish(TaskSignal.Changed, id);
        }

        var task = Guid.NewGuid();
        Signals(publisher.Redis, prefix).Publish(TaskSignal.Cancelled, task);

        Assert.Equal(ids.Order(), Take(changed, ids.Count).Order());   // handlers may run concurrently: no order promised
        Assert.Equal([task], Take(cancelled, 1));
        Assert.Empty(other);
    }

    [Fact]
    public async Task Ids_published_together_share_messages_and_each_reaches_the_subscriber()
    {
        await using var publisher = await QueueTestContext.ConnectAsync(redis.Configuration);
        await using var subscriber = await QueueTestContext.ConnectAsync(redis.Configuration);
        var prefix = RedisFixture.NewKeyPrefix(nameof(TaskSignalsTests));
        var heard = new BlockingCollection<Guid>();
        using var subscription = await Signals(subscriber.Redis, prefix).SubscribeAsync(TaskSignal.Changed, heard.Add, () => { }, CancellationToken.None);
        var messages = 0;
        var raw = RedisChannel.Literal(Signals(subscriber.Redis, prefix).ChannelName(TaskSignal.Changed));
        await subscriber.Redis.GetSubscriber().SubscribeAsync(raw, (_, _) => Interlocked.Increment(ref messages));

        var ids = Enumerable.Range(0, RedisTaskSignals.IdsPerMessage * 2 + 1).Select(_ => Guid.NewGuid()).ToList();
        Signals(publisher.Redis, prefix).Publish(TaskSignal.Changed, ids);

        Assert.Equal(ids.Order(), Take(heard, ids.Count).Order());
        // The counting handler is a second subscriber of the same messages and may run after the signals' own (one CI run
        // read 2): wait for the three, then no more may have come, as they would if each id had a message of its own.
        SpinWait.SpinUntil(() => Volatile.Read(ref messages) >= 3, Patience);
        Assert.Equal(3, Volatile.Read(ref messages));   // a message per IdsPerMessage ids, not one per id
    }

    [Fact]
    public async Task After_a_Redis_restart_subscribers_are_told_to_resynchronise_and_hear_signals_again()
    {
        await using var container = await TestRedis.StartAsync(TestRedis.Builder());
        await using var forwarder = new TcpForwarder(container.GetMappedPublicPort(RedisBuilder.RedisPort));
        var configuration = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{forwarder.Port},connectTimeout=2000");
        await using var publisher = await QueueTestContext.ConnectAsync(configuration);
        await using var subscriber = await QueueTestContext.ConnectAsync(configuration);
        var heard = new BlockingCollection<Guid>();
        using var resynced = new SemaphoreSlim(0);
        using var subscription = await Signals(subscriber.Redis, "restart:").SubscribeAsync(TaskSignal.Changed, heard.Add, () => resynced.Release(), CancellationToken.None);

        await TestRedis.KillAndRestartAsync(container);
        forwarder.Retarget(container.GetMappedPublicPort(RedisBuilder.RedisPort));

        Assert.True(await resynced.WaitAsync(TimeSpan.FromSeconds(60)), "no resynchronisation after the restart");
        var id = Guid.NewGuid();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!heard.TryTake(out _, 200))
        {
            // The publisher's own connection may still be coming back: publishing is fire and forget.
            Assert.True(DateTime.UtcNow < deadline, "no signal heard after the restart");
            Signals(publisher.Redis, "restart:").Publish(TaskSignal.Changed, id);
        }
    }

    private static RedisTaskSignals Signals(IConnectionMultiplexer multiplexer, string prefix) =>
        new(multiplexer, Options.Create(new QueueOptions { Prefix = prefix }), NullLogger<RedisTaskSignals>.Instance);

    private static List<Guid> Take(BlockingCollection<Guid> collection, int count)
    {
        var taken = new List<Guid>();
        while (taken.Count < count && collection.TryTake(out var id, Patience))
        {
            taken.Add(id);
        }

        return taken;
    }
}
