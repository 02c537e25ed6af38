using System.Globalization;

namespace AgentSystem.Testing.Containers.Modules;

/// <summary>A started Redis; <see cref="ConnectionString"/> is "127.0.0.1:port", as StackExchange.Redis takes it.</summary>
public sealed class RedisContainer(DockerContainer container) : IAsyncDisposable
{
    public DockerContainer Container { get; } = container;

    public string Host => Container.Host;

    public int Port => Container.GetMappedPort(RedisBuilder.RedisPort);

    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <summary>A minimal client for housekeeping (FLUSHDB, SELECT, PING); tests use their real client.</summary>
    public Task<RespClient> ConnectAsync(int database = 0, CancellationToken cancellationToken = default) =>
        RespClient.ConnectAsync(Host, Port, database, cancellationToken);

    public ValueTask DisposeAsync() => Container.DisposeAsync();

    public override string ToString() => $"Redis {Container}";
}
