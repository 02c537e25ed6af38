using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

/// <summary>
/// docs/architecture.md, "Secrets": in the manifests Redis requires the password of one Secret, which the base
/// generates, and the services that use Redis (the orchestrator, the workers) present it.
/// </summary>
public sealed class RedisPasswordManifestTests
{
    private const string Secret = "redis";

    public static TheoryData<string> Clients => ["orchestrator", "worker"];

    [Theory]
    [MemberData(nameof(Clients))]
    public void Each_client_reads_Redis__Password_from_the_generated_secret(string service)
    {
        var container = FirstContainer($"k8s/base/{service}/deployment.yaml");

        Assert.Equal((Secret, "password"), SecretOf(container, "Redis__Password"));
    }

    [Fact]
    public void Redis_requires_the_secrets_password()
    {
        var container = FirstContainer("k8s/base/redis/statefulset.yaml");
        var args = ((YamlSequenceNode)container["args"]).Select(a => a.ToString()).ToList();

        var flag = args.IndexOf("--requirepass");
        Assert.True(flag >= 0 && flag + 1 < args.Count, "redis-server is not given --requirepass");
        Assert.Equal("$(REDIS_PASSWORD)", args[flag + 1]);
        Assert.Equal((Secret, "password"), SecretOf(container, "REDIS_PASSWORD"));
        Assert.Equal((Secret, "password"), SecretOf(container, "REDISCLI_AUTH"));
    }

    [Fact]
    public void The_base_generates_the_secret_with_a_development_password()
    {
        var generator = ((YamlSequenceNode)Read("k8s/base/redis/kustomization.yaml")["secretGenerator"]).Cast<YamlMappingNode>()
            .Single(g => g["name"].ToString() == Secret);

        // The services warn at start about a password that begins so (RedisPasswordAudit): a real cluster replaces it.
        Assert.Contains(((YamlSequenceNode)generator["literals"]).Select(l => l.ToString()), literal => literal.StartsWith("password=dev-only-", StringComparison.Ordinal));
    }

    private static (string Name, string Key) SecretOf(YamlMappingNode container, string variable)
    {
        var entry = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().Single(e => e["name"].ToString() == variable);
        var reference = (YamlMappingNode)entry["valueFrom"]["secretKeyRef"];
        return (reference["name"].ToString(), reference["key"].ToString());
    }

    private static YamlMappingNode FirstContainer(string path) =>
        (YamlMappingNode)((YamlSequenceNode)Read(path)["spec"]["template"]["spec"]["containers"])[0];

    private static YamlMappingNode Read(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read(path));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
