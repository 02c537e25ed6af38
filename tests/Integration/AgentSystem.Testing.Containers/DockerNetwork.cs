namespace AgentSystem.Testing.Containers;

/// <summary>A user-defined bridge network: containers on it reach each other by name and alias.</summary>
public sealed class DockerNetwork : IAsyncDisposable
{
    private readonly DockerEnvironment environment;
    private int disposed;

    internal DockerNetwork(DockerEnvironment environment, string id, string name)
    {
        this.environment = environment;
        Id = id;
        Name = name;
    }

    public string Id { get; }

    public string Name { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await environment.Client.RemoveNetworkAsync(Id, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public override string ToString() => Name;
}
