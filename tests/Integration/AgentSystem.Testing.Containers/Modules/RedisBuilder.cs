using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Waits;

namespace AgentSystem.Testing.Containers.Modules;

/// <summary>
/// A throwaway Redis without persistence, ready when `redis-cli ping` answers PONG (after a cheap port check from the
/// host, so no exec is spent before the server listens).
/// </summary>
public sealed class RedisBuilder
{
    public const int RedisPort = 6379;
    public const string NamePrefix = ContainerDefaults.NamePrefix + "-redis";

    /// <summary>
    /// Arguments for redis-server (both the official image and the local one pass arguments starting with '-' to it).
    /// No snapshots, no AOF: nothing to keep. Protected mode off: connections through Docker's port proxy come from
    /// the bridge gateway, not loopback, and Redis would refuse them without a password.
    /// </summary>
    public static readonly IReadOnlyList<string> ServerArguments = ["--protected-mode", "no", "--save", string.Empty, "--appendonly", "no"];

    // Replayed on a fresh ContainerBuilder per start, after the module's defaults, so a builder can start twice.
    private readonly List<Action<ContainerBuilder>> customizations = [];

    public RedisBuilder WithImage(string image) => Configure(container => container.WithImage(image));

    public RedisBuilder WithImage(LogicalImage image) => Configure(container => container.WithImage(image));

    /// <summary>Anything else (networks, labels, more waits, a longer timeout) on the underlying builder.</summary>
    public RedisBuilder Configure(Action<ContainerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        customizations.Add(configure);
        return this;
    }

    public async Task<RedisContainer> StartAsync(CancellationToken cancellationToken = default)
    {
        var container = new ContainerBuilder(KnownImages.Redis)
            .WithNamePrefix(NamePrefix)
            .WithCommand([.. ServerArguments])
            .WithPortBinding(RedisPort)
            .WithWaitStrategy(Wait.ForPort(RedisPort))
            .WithWaitStrategy(Wait.ForCommand(["redis-cli", "ping"], "PONG"));
        foreach (var customize in customizations)
        {
            customize(container);
        }

        return new RedisContainer(await container.StartAsync(cancellationToken).ConfigureAwait(false));
    }
}
