using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

/// <summary>
/// docs/api.md, "The services behind the gateway": in the manifests, those who present the internal key (the gateway,
/// the workers) and those who require it (the orchestrator, chat) read it from one Secret, which the base generates.
/// </summary>
public sealed class InternalKeyManifestTests
{
    private const string Secret = "internal-key";

    public static TheoryData<string> Holders => ["gateway", "worker", "orchestrator", "chat"];

    [Theory]
    [MemberData(nameof(Holders))]
    public void Each_holder_reads_Internal__Key_from_the_generated_secret(string service)
    {
        var container = (YamlMappingNode)((YamlSequenceNode)Read($"k8s/base/{service}/deployment.yaml")["spec"]["template"]["spec"]["containers"])[0];
        var entry = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().Single(e => e["name"].ToString() == "Internal__Key");
        var reference = (YamlMappingNode)entry["valueFrom"]["secretKeyRef"];

        Assert.Equal((Secret, "key"), (reference["name"].ToString(), reference["key"].ToString()));
    }

    [Fact]
    public void The_base_generates_the_secret_with_its_key()
    {
        var generator = ((YamlSequenceNode)Read("k8s/base/kustomization.yaml")["secretGenerator"]).Cast<YamlMappingNode>()
            .Single(g => g["name"].ToString() == Secret);

        // The services warn at start about a key that begins so (InternalKeyAudit): a real cluster replaces it.
        Assert.Contains(((YamlSequenceNode)generator["literals"]).Select(l => l.ToString()), literal => literal.StartsWith("key=dev-only-", StringComparison.Ordinal));
    }

    private static YamlMappingNode Read(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read(path));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
