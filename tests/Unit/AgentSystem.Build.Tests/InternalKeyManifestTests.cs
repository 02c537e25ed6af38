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
        var yaml = new YamlStream();
        using (var reader = new StringReader(RepositoryFiles.Read($"k8s/base/{service}/deployment.yaml")))
        {
            yaml.Load(reader);
        }

        var container = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["spec"])["template"])["spec"]["containers"])[0];
        var entry = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().Single(e => e["name"].ToString() == "Internal__Key");
        var reference = (YamlMappingNode)((YamlMappingNode)entry["valueFrom"])["secretKeyRef"];

        Assert.Equal((Secret, "key"), (reference["name"].ToString(), reference["key"].ToString()));
        Assert.Contains($"  - name: {Secret}\n", RepositoryFiles.Read("k8s/base/kustomization.yaml"), StringComparison.Ordinal);
    }
}
