namespace AgentSystem.Build.GitHub;

/// <summary>
/// The actions the workflow uses, each pinned to the commit of a release: a tag such as <c>v7</c> can be moved to other
/// code by whoever controls the action's repository, a commit cannot. The release stays beside it as a comment, for
/// people and for updating (docs/architecture.md, "CI workflow": how to find a release's commit).
/// </summary>
public static class ActionPins
{
    public static readonly ActionPin Checkout = new("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1");
    public static readonly ActionPin SetupDotnet = new("actions/setup-dotnet", "v6.0.0", "a98b56852c35b8e3190ac28c8c2271da59106c68");
    public static readonly ActionPin SetupNode = new("actions/setup-node", "v7.0.0", "820762786026740c76f36085b0efc47a31fe5020");
    public static readonly ActionPin UploadArtifact = new("actions/upload-artifact", "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f");
    public static readonly ActionPin DownloadArtifact = new("actions/download-artifact", "v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c");

    public static IReadOnlyList<ActionPin> All { get; } = [Checkout, SetupDotnet, SetupNode, UploadArtifact, DownloadArtifact];
}

/// <param name="Action">owner/name on GitHub.</param>
/// <param name="Release">The release's tag, shown beside the commit.</param>
/// <param name="Commit">The full SHA-1 of the commit that tag names.</param>
public sealed record ActionPin(string Action, string Release, string Commit)
{
    /// <summary>The value of a step's <c>uses:</c>, with the release as a comment.</summary>
    public string Uses => $"{Action}@{Commit} # {Release}";
}
