namespace AgentSystem.Testing.Containers;

/// <summary>Creates a network with the session's labels, so a sweep removes it if this process dies.</summary>
public sealed class NetworkBuilder
{
    private readonly Dictionary<string, string> labels = new(StringComparer.Ordinal);
    private string namePrefix = ContainerDefaults.NamePrefix + "-net";

    /// <summary>Names are prefix-xxxxxxxx: a fixed name would collide between test classes running in parallel.</summary>
    public NetworkBuilder WithNamePrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        namePrefix = prefix;
        return this;
    }

    public NetworkBuilder WithLabel(string name, string value)
    {
        labels[name] = value;
        return this;
    }

    public async Task<DockerNetwork> CreateAsync(CancellationToken cancellationToken = default)
    {
        var environment = await DockerEnvironment.GetAsync(cancellationToken).ConfigureAwait(false);
        var name = ContainerBuilder.UniqueName(namePrefix);
        var allLabels = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        foreach (var (key, value) in environment.Session.Labels)
        {
            allLabels[key] = value;
        }

        var id = await environment.Client.CreateNetworkAsync(name, allLabels, cancellationToken).ConfigureAwait(false);
        return new DockerNetwork(environment, id, name);
    }
}
