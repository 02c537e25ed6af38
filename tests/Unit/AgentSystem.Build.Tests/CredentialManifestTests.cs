using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

/// <summary>
/// docs/architecture.md, "A password on Redis" and "The services are not PostgreSQL's owner": in the manifests Redis
/// requires the password of one Secret, which the base generates, and the services that use Redis (the orchestrator,
/// the workers) present it; the services connect to PostgreSQL as the role the migrate jobs make, not as the owner.
/// </summary>
public sealed class CredentialManifestTests
{
    private const string Secret = "redis";

    public static TheoryData<string> Clients => ["orchestrator", "worker"];

    public static TheoryData<string> DatabaseServices => ["orchestrator", "worker", "chat"];

    public static TheoryData<string> SchemaOwners => ["orchestrator", "chat"];

    [Theory]
    [MemberData(nameof(DatabaseServices))]
    public void Each_service_connects_to_PostgreSQL_as_the_service_role(string service)
    {
        var container = FirstContainer($"k8s/base/{service}/deployment.yaml");

        Assert.Contains("Username=$(POSTGRES_SERVICE_USER);Password=$(POSTGRES_SERVICE_PASSWORD)", Value(container, "ConnectionStrings__Postgres"), StringComparison.Ordinal);
        Assert.Equal(("postgres", "service-password"), SecretOf(container, "POSTGRES_SERVICE_PASSWORD"));
        Assert.DoesNotContain(Variables(container), name => name == "POSTGRES_PASSWORD");
    }

    [Theory]
    [MemberData(nameof(SchemaOwners))]
    public void Each_migrate_job_migrates_as_the_owner_and_makes_the_service_role(string service)
    {
        var container = FirstContainer($"k8s/base/{service}/migrate-job.yaml");

        Assert.Contains("Username=$(POSTGRES_USER);Password=$(POSTGRES_PASSWORD)", Value(container, "ConnectionStrings__Postgres"), StringComparison.Ordinal);
        Assert.Equal("$(POSTGRES_SERVICE_USER)", Value(container, "Migrate__ServiceRole"));
        Assert.Equal(("postgres", "service-password"), SecretOf(container, "Migrate__ServicePassword"));
        Assert.Contains("POSTGRES_SERVICE_USER=agentsystem_service", RepositoryFiles.Read("k8s/base/config.env").Split('\n'));
    }

    [Fact]
    public void The_base_generates_both_database_passwords_as_development_values()
    {
        var literals = Literals("k8s/base/postgres/kustomization.yaml", "postgres");

        Assert.Contains(literals, literal => literal.StartsWith("password=dev-only-", StringComparison.Ordinal));
        Assert.Contains(literals, literal => literal.StartsWith("service-password=dev-only-", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public void Each_client_reads_Redis__Password_from_the_generated_secret(string service)
    {
        var container = FirstContainer($"k8s/base/{service}/deployment.yaml");

        Assert.Equal((Secret, "password"), SecretOf(container, "Redis__Password"));
    }

    [Fact]
    public void Redis_requires_the_secrets_password_read_from_its_environment_when_it_starts()
    {
        var container = FirstContainer("k8s/base/redis/statefulset.yaml");
        var command = ((YamlSequenceNode)container["command"]).Select(a => a.ToString()).ToList();
        var args = ((YamlSequenceNode)container["args"]).Select(a => a.ToString()).ToList();

        // The shell reads the variable when Redis starts; a $(REDIS_PASSWORD) in args Kubernetes would expand into the
        // container's command.
        Assert.Equal(["sh", "-c", "exec redis-server --requirepass \"$REDIS_PASSWORD\" \"$@\"", "redis-server"], command);
        Assert.DoesNotContain(command.Concat(args), a => a.Contains("$(", StringComparison.Ordinal));
        Assert.Equal((Secret, "password"), SecretOf(container, "REDIS_PASSWORD"));
        Assert.Equal((Secret, "password"), SecretOf(container, "REDISCLI_AUTH"));
    }

    [Fact]
    public void The_base_generates_the_secret_with_a_development_password()
    {
        // The services warn at start about a password that begins so (RedisPasswordAudit): a real cluster replaces it.
        Assert.Contains(Literals("k8s/base/redis/kustomization.yaml", Secret), literal => literal.StartsWith("password=dev-only-", StringComparison.Ordinal));
    }

    private static List<string> Literals(string kustomization, string secret) =>
        ((YamlSequenceNode)((YamlSequenceNode)Read(kustomization)["secretGenerator"]).Cast<YamlMappingNode>()
            .Single(g => g["name"].ToString() == secret)["literals"]).Select(l => l.ToString()).ToList();

    private static IEnumerable<string> Variables(YamlMappingNode container) =>
        ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().Select(e => e["name"].ToString());

    private static string Value(YamlMappingNode container, string variable) =>
        ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().Single(e => e["name"].ToString() == variable)["value"].ToString();

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
