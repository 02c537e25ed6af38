using AgentSystem.Testing.Containers.Fixtures;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Redis test classes get database indexes of their own, recycled, and unique key prefixes.</summary>
public sealed class RedisIsolationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_fixtures_get_distinct_databases_and_do_not_see_each_others_keys()
    {
        var first = new RedisFixture();
        var second = new RedisFixture();
        await first.InitializeAsync();
        await second.InitializeAsync();
        try
        {
            Assert.NotEqual(first.Database, second.Database);
            Assert.InRange(first.Database, 0, RedisDatabasePool.DatabaseCount - 1);
            Assert.Equal("OK", await first.ExecuteAsync("SET", "shared-name", "first"));

            Assert.Equal("first", await first.ExecuteAsync("GET", "shared-name"));
            Assert.Equal(string.Empty, await second.ExecuteAsync("GET", "shared-name"));   // nil
            Assert.EndsWith($",defaultDatabase={first.Database}", first.Configuration, StringComparison.Ordinal);
            output.WriteLine($"databases {first.Database} and {second.Database} of {first.Server.Name}");
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_returned_database_is_emptied_and_handed_out_again()
    {
        // More fixtures, one after another, than Redis has databases: indexes must come back.
        for (var i = 0; i < RedisDatabasePool.DatabaseCount + 4; i++)
        {
            var fixture = new RedisFixture();
            await fixture.InitializeAsync();
            Assert.Equal("0", await fixture.ExecuteAsync("DBSIZE"));
            await fixture.ExecuteAsync("SET", "left-behind", "x");
            await fixture.DisposeAsync();
        }
    }

    [Fact]
    public void Key_prefixes_are_unique()
    {
        var prefixes = Enumerable.Range(0, 1000).Select(_ => RedisFixture.NewKeyPrefix("test")).ToHashSet();

        Assert.Equal(1000, prefixes.Count);
        Assert.All(prefixes, prefix => Assert.StartsWith("test:", prefix, StringComparison.Ordinal));
    }
}

/// <summary>One of two classes that run in parallel with the same key names: each sees only its own.</summary>
public sealed class RedisClassOneTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly string _prefix = RedisFixture.NewKeyPrefix(nameof(RedisClassOneTests));

    [Fact]
    public async Task Sees_only_its_own_keys()
    {
        await fixture.ExecuteAsync("SET", "name", "one");
        await fixture.ExecuteAsync("SET", _prefix + "k", "v");

        Assert.Equal("one", await fixture.ExecuteAsync("GET", "name"));
        Assert.Equal("2", await fixture.ExecuteAsync("DBSIZE"));
    }
}

/// <summary>The other class of the pair.</summary>
public sealed class RedisClassTwoTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Sees_only_its_own_keys()
    {
        await fixture.ExecuteAsync("SET", "name", "two");

        Assert.Equal("two", await fixture.ExecuteAsync("GET", "name"));
        Assert.Equal("1", await fixture.ExecuteAsync("DBSIZE"));
    }
}
