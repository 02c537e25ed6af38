namespace AgentSystem.Testing.Containers.Waits;

/// <summary>Any condition code can check (a real client connection, a query): an exception means "not yet".</summary>
public sealed class PredicateWaitStrategy(string description, Func<DockerContainer, CancellationToken, Task<bool>> condition) : WaitStrategy
{
    public override string Description => description;

    public override async Task<WaitCheck> CheckAsync(DockerContainer container, CancellationToken cancellationToken) =>
        await condition(container, cancellationToken).ConfigureAwait(false)
            ? WaitCheck.Ready
            : WaitCheck.NotReady("the condition was false");
}
