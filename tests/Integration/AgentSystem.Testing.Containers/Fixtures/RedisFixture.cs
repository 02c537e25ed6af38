using System.Globalization;
using Testcontainers.Redis;
using Xunit;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>
/// A Redis database of its own for one test class (IClassFixture) in the shared Redis, empty at the start and emptied
/// at the end, plus unique key prefixes for the tests inside the class.
/// </summary>
public class RedisFixture : IAsyncLifetime
{
    private static long _prefixCounter;
    private RedisContainer? _server;
    private int? _database;

    public RedisContainer Server => _server ?? throw NotInitialized();

    /// <summary>This class's database index (0-15).</summary>
    public int Database => _database ?? throw NotInitialized();

    /// <summary>"127.0.0.1:port".</summary>
    public string ConnectionString => Server.GetConnectionString();

    /// <summary>A StackExchange.Redis configuration string that selects this class's database.</summary>
    public string Configuration => string.Create(CultureInfo.InvariantCulture, $"{ConnectionString},defaultDatabase={Database}");

    /// <summary>A key prefix no other test uses ("name:7:1a2b3c4d:"): call it once per test, e.g. in the test class's constructor.</summary>
    public static string NewKeyPrefix(string? testName = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{testName ?? "test"}:{Interlocked.Increment(ref _prefixCounter)}:{Guid.NewGuid().ToString("N")[..8]}:");

    /// <summary>Runs one command on this class's database with redis-cli (housekeeping; use a real client for the code under test).</summary>
    public Task<string> ExecuteAsync(params string[] arguments) => TestRedis.ExecuteAsync(Server, Database, arguments);

    public async Task InitializeAsync()
    {
        _server = await SharedContainers.GetRedisAsync().ConfigureAwait(false);
        _database = await RedisDatabasePool.RentAsync().ConfigureAwait(false);
        await ExecuteAsync("FLUSHDB").ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_database is not { } index)
        {
            return;
        }

        try
        {
            await ExecuteAsync("FLUSHDB").ConfigureAwait(false);
        }
        finally
        {
            _database = null;
            RedisDatabasePool.Return(index);
        }
    }

    private static InvalidOperationException NotInitialized() =>
        new("The fixture is not initialized: use it through IClassFixture<T> (xunit calls InitializeAsync), or call InitializeAsync first.");
}
