namespace AgentSystem.Testing.Containers.Images;

/// <summary>
/// An image by role ("postgres"), not by reference: the official default, which AGENTSYSTEM_IMAGE_&lt;NAME&gt; and
/// AGENTSYSTEM_REGISTRY_PREFIX can redirect, and the local equivalent `./build.sh BaseImages` makes for machines without
/// a registry.
/// </summary>
public sealed record LogicalImage(string Name, string DefaultReference, string? LocalEquivalent)
{
    public override string ToString() => Name;
}
