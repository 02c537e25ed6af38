using AgentSystem.Build.Docker;
using AgentSystem.Build.Monorepo;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

/// <summary>services/docker-compose.yml says what services/catalog.json says: services, images, ports, dependencies.</summary>
public class ComposeFileTests
{
    private const string File = "services/docker-compose.yml";

    private static readonly string[] KeyHolders = ["gateway", "worker", "orchestrator", "chat"];

    private static YamlMappingNode ComposeServices() => (YamlMappingNode)ComposeRoot()["services"];

    private static YamlMappingNode Service(string name) =>
        ComposeServices().Children.TryGetValue(name, out var node) ? (YamlMappingNode)node : throw new Xunit.Sdk.XunitException($"{File} has no service '{name}'");

    private static IEnumerable<string> DependsOn(YamlMappingNode service) =>
        service.Children.TryGetValue("depends_on", out var node) ? ((YamlMappingNode)node).Children.Keys.Select(k => k.ToString()) : [];

    public static TheoryData<string> Services => [.. RepositoryFiles.Catalog.Services.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Services))]
    public void A_catalog_service_runs_its_image_after_what_it_depends_on(string name)
    {
        var entry = RepositoryFiles.Catalog.Find(name)!;
        var service = Service(name);
        Assert.Equal($"${{{Compose.ImageVariable(name)}:-{entry.Image}:dev}}", service["image"].ToString());
        Assert.Equal(entry.Dockerfile, ((YamlMappingNode)service["build"])["dockerfile"].ToString());
        Assert.Empty(entry.DependsOn.Except(DependsOn(service)));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void A_catalog_service_runs_as_shipped_read_only_as_1654_without_capabilities(string name)
    {
        var service = Service(name);
        Assert.Equal("1654:1654", service["user"].ToString());
        Assert.Equal("true", service["read_only"].ToString());
        Assert.Equal(["ALL"], ((YamlSequenceNode)service["cap_drop"]).Select(n => n.ToString()));
        // Bounded as the manifests' /tmp emptyDirs (Docker's default is half the host's memory).
        Assert.Equal(["/tmp:size=64m"], ((YamlSequenceNode)service["tmpfs"]).Select(n => n.ToString()));
    }

    [Theory]
    [MemberData(nameof(ComposeServiceNames))]
    public void Every_container_gains_no_privileges_and_rotates_its_logs(string name)
    {
        var service = Service(name);
        Assert.Contains("no-new-privileges:true", ((YamlSequenceNode)service["security_opt"]).Select(n => n.ToString()));
        var logging = (YamlMappingNode)service["logging"];
        Assert.Equal("json-file", logging["driver"].ToString());
        Assert.Equal("10m", ((YamlMappingNode)logging["options"])["max-size"].ToString());
    }

    [Fact]
    public void Only_the_gateway_and_the_frontend_are_published_on_their_catalog_ports_on_loopback_by_default()
    {
        var published = ComposeServices().Children.Where(s => ((YamlMappingNode)s.Value).Children.ContainsKey("ports")).ToDictionary(
            s => s.Key.ToString(), s => ((YamlSequenceNode)((YamlMappingNode)s.Value)["ports"]).Single().ToString());
        Assert.Equal(["frontend", "gateway"], published.Keys.Order());
        foreach (var (name, mapping) in published)
        {
            var port = RepositoryFiles.Catalog.Find(name)!.Ports[0];
            Assert.StartsWith("${AGENTSYSTEM_BIND:-127.0.0.1}:", mapping, StringComparison.Ordinal);
            Assert.EndsWith($"-{port}}}:{port}", mapping, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_infrastructure_runs_the_catalog_images_with_what_keeps_its_data()
    {
        // The infrastructure that runs beside the services is what publishes ports; the rest are base images.
        foreach (var infrastructure in RepositoryFiles.Catalog.Infrastructure.Where(i => i.Ports.Count > 0))
        {
            var service = Service(infrastructure.Name);
            Assert.Equal($"${{{BaseImageVariable(infrastructure.Name)}:-{infrastructure.Image}}}", service["image"].ToString());
            Assert.NotEmpty((YamlSequenceNode)service["volumes"]);
            Assert.True(((YamlMappingNode)service).Children.ContainsKey("healthcheck"), $"{infrastructure.Name} has no health check");
        }
        Assert.Contains("--appendonly", ((YamlSequenceNode)Service("redis")["command"]).Select(n => n.ToString()));
    }

    /// <summary>
    /// A migration runs its service's image with "migrate", once, before the service that needs the schema; the
    /// catalog's "migrate" entries say which services have one.
    /// </summary>
    [Fact]
    public void Migrations_run_to_completion_before_the_services_that_need_them()
    {
        var migrations = ComposeServices().Children.Keys.Select(k => k.ToString()).Where(n => n.EndsWith("-migrate", StringComparison.Ordinal)).ToList();
        Assert.Equal(RepositoryFiles.Catalog.Services.Where(s => s.Migrate).Select(s => $"{s.Name}-migrate").Order(), migrations.Order());
        Assert.Equal(["chat", "orchestrator"], RepositoryFiles.Catalog.Services.Where(s => s.Migrate).Select(s => s.Name).Order());
        foreach (var migration in migrations)
        {
            var owner = migration[..^"-migrate".Length];
            var service = Service(migration);
            Assert.Equal(Service(owner)["image"].ToString(), service["image"].ToString());
            Assert.Equal(["migrate"], ((YamlSequenceNode)service["command"]).Select(n => n.ToString()));
            Assert.Equal("no", service["restart"].ToString());
            var condition = ((YamlMappingNode)((YamlMappingNode)Service(owner)["depends_on"])[migration])["condition"].ToString();
            Assert.Equal("service_completed_successfully", condition);
        }
        Assert.Contains("orchestrator-migrate", DependsOn(Service("worker")));
    }

    /// <summary>As in the k8s base: the migrate jobs connect as the owner and each makes the role its services connect as.</summary>
    [Theory]
    [InlineData("orchestrator-migrate", "agentsystem_service", "SERVICE", "dev-only-service-password", "orchestrator", "worker")]
    [InlineData("chat-migrate", "agentsystem_chat", "CHAT", "dev-only-chat-password", "chat")]
    public void The_migrations_run_as_the_owner_and_each_service_as_the_role_its_migration_makes(
        string migration, string role, string passwordName, string passwordDefault, params string[] services)
    {
        static string Variable(string service, string name) => Settings(service).GetValueOrDefault(name, "");
        var password = $"${{AGENTSYSTEM_POSTGRES_{passwordName}_PASSWORD:-{passwordDefault}}}";

        Assert.Contains("Username=agentsystem;", Variable(migration, "ConnectionStrings__Postgres"), StringComparison.Ordinal);
        Assert.Equal(role, Variable(migration, "Migrate__ServiceRole"));
        Assert.Equal(password, Variable(migration, "Migrate__ServicePassword"));
        foreach (var service in services)
        {
            Assert.EndsWith($";Username={role};Password={password}", Variable(service, "ConnectionStrings__Postgres"), StringComparison.Ordinal);
            Assert.Equal("", Variable(service, "Migrate__ServiceRole"));
        }
    }

    /// <summary>SystemTest reads a running system's key back from the gateway's environment.</summary>
    [Fact]
    public void The_gateway_takes_the_API_key_in_the_variable_SystemTest_reads_it_from()
    {
        var environment = (YamlMappingNode)Service("gateway")["environment"];
        Assert.Equal($"${{AGENTSYSTEM_API_KEY:-{RunningSystem.DevelopmentApiKey}}}", environment[RunningSystem.ApiKeyVariable].ToString());
    }

    /// <summary>
    /// A secret's default begins dev-only- (the services' DevelopmentValues), so a service started with it outside
    /// Development warns; the owner's password alone keeps its first default: an existing volume was made with it.
    /// </summary>
    [Fact]
    public void Every_default_secret_but_the_owners_password_is_one_the_services_warn_about()
    {
        var defaults = Regex.Matches(RepositoryFiles.Read(File), @"\$\{(AGENTSYSTEM_\w*(?:KEY|PASSWORD))(?::?-)([^}]*)\}")
            .Select(match => (Variable: match.Groups[1].Value, Default: match.Groups[2].Value))
            .Distinct()
            .ToList();

        Assert.Equal(
            ["AGENTSYSTEM_API_KEY", "AGENTSYSTEM_INTERNAL_KEY", "AGENTSYSTEM_POSTGRES_CHAT_PASSWORD", "AGENTSYSTEM_POSTGRES_PASSWORD", "AGENTSYSTEM_POSTGRES_SERVICE_PASSWORD", "AGENTSYSTEM_REDIS_PASSWORD"],
            defaults.Select(d => d.Variable).Distinct().Order());
        Assert.All(defaults.Where(d => d.Variable != "AGENTSYSTEM_POSTGRES_PASSWORD"), d => Assert.StartsWith("dev-only-", d.Default, StringComparison.Ordinal));
        Assert.Equal([("AGENTSYSTEM_POSTGRES_PASSWORD", "agentsystem")], defaults.Where(d => d.Variable == "AGENTSYSTEM_POSTGRES_PASSWORD"));
    }

    /// <summary>Those who present the internal key and those who require it are given the same one.</summary>
    [Fact]
    public void The_gateway_the_workers_the_orchestrator_and_chat_share_one_internal_key()
    {
        var keys = KeyHolders
            .Select(name => Settings(name).GetValueOrDefault("Internal__Key"))
            .ToList();

        Assert.All(keys, key => Assert.Equal("${AGENTSYSTEM_INTERNAL_KEY:-dev-only-internal-key}", key));
    }

    /// <summary>As in the k8s base: Redis requires a password, and only those that use the queue are given it.</summary>
    [Fact]
    public void Redis_requires_the_password_that_the_orchestrator_and_the_workers_alone_present()
    {
        const string Password = "${AGENTSYSTEM_REDIS_PASSWORD:-dev-only-redis-password}";
        var command = ((YamlSequenceNode)Service("redis")["command"]).Select(n => n.ToString()).ToList();

        Assert.Equal(Password, command[command.IndexOf("--requirepass") + 1]);
        Assert.Equal(Password, Settings("redis")["REDISCLI_AUTH"]);
        Assert.Equal(["orchestrator", "worker"], ServiceNames.Where(name => Settings(name).ContainsKey("Redis__Configuration")).Order());
        Assert.All(["orchestrator", "worker"], name => Assert.Equal(Password, Settings(name)["Redis__Password"]));
    }

    /// <summary>Every host a container's settings name (http://chat:3001, Host=postgres, redis:6379) is on a network of its.</summary>
    [Theory]
    [MemberData(nameof(ComposeServiceNames))]
    public void A_container_shares_a_network_with_everything_its_settings_call(string name)
    {
        Assert.All(Calls(name), callee => Assert.True(Networks(name).Overlaps(Networks(callee)), $"{name} calls {callee} but shares no network with it"));
    }

    /// <summary>
    /// The frontend, PostgreSQL and Redis share a network with what they call and what calls them, nothing else: the
    /// frontend's server cannot reach the queue or the database past the gateway. (The services' own network is
    /// looser: the gateway, the orchestrator, chat and the workers all share it.)
    /// </summary>
    [Theory]
    [InlineData("frontend")]
    [InlineData("postgres")]
    [InlineData("redis")]
    public void Only_what_calls_it_or_what_it_calls_shares_a_network_with(string name)
    {
        var neighbours = ServiceNames.Where(other => other != name && Networks(other).Overlaps(Networks(name)));
        var callers = ServiceNames.Where(other => Calls(other).Contains(name));

        Assert.Equal(callers.Concat(Calls(name)).Distinct().Order(), neighbours.Order());
    }

    /// <summary>Only the network of the published services reaches out; the others are internal (no route off the host).</summary>
    [Fact]
    public void Every_network_but_the_published_services_one_is_internal()
    {
        var networks = (YamlMappingNode)ComposeRoot()["networks"];
        var open = networks.Children.Where(n => !(n.Value is YamlMappingNode settings && settings.Children.TryGetValue("internal", out var value) && value.ToString() == "true"))
            .Select(n => n.Key.ToString());

        Assert.Equal(["edge"], open);
        Assert.All(["frontend", "gateway"], name => Assert.Contains("edge", Networks(name)));
        Assert.All(ServiceNames, name => Assert.DoesNotContain("default", Networks(name)));
    }

    /// <summary>A change to the Compose file alone selects the tests that read it (affected detection, by their items).</summary>
    [Fact]
    public void A_change_to_the_file_selects_these_tests_and_the_system_tests()
    {
        var users = RepositoryFiles.Graph.UsesOf(File, out _).Select(use => use.Project.Path);

        Assert.Contains("tests/Unit/AgentSystem.Build.Tests/AgentSystem.Build.Tests.csproj", users);
        Assert.Contains("tests/System/AgentSystem.Stack.Tests/AgentSystem.Stack.Tests.csproj", users);
    }

    public static TheoryData<string> ComposeServiceNames => [.. ServiceNames];

    private static IEnumerable<string> ServiceNames => ComposeServices().Children.Keys.Select(k => k.ToString());

    private static Dictionary<string, string> Settings(string service) =>
        Service(service).Children.TryGetValue("environment", out var node)
            ? ((YamlMappingNode)node).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString())
            : [];

    /// <summary>A container's networks; Compose's own "default" when it names none.</summary>
    private static HashSet<string> Networks(string service) =>
        Service(service).Children.TryGetValue("networks", out var node) ? [.. ((YamlSequenceNode)node).Select(n => n.ToString())] : ["default"];

    /// <summary>The other containers a container's settings name as a host: <c>//chat:</c>, <c>Host=postgres;</c>, <c>redis:6379</c>.</summary>
    private static HashSet<string> Calls(string service) =>
        [.. ServiceNames.Where(host => host != service && Settings(service).Values.Any(value =>
            value.Contains($"//{host}:", StringComparison.Ordinal) || value.Contains($"Host={host};", StringComparison.Ordinal) || value.StartsWith($"{host}:", StringComparison.Ordinal)))];

    private static YamlMappingNode ComposeRoot() => Parsed.Value;

    // Read once: the network tests ask every service's settings for every other service.
    private static readonly Lazy<YamlMappingNode> Parsed = new(() =>
    {
        var yaml = new YamlStream();
        // Merge keys (<<: *service) as both Compose versions read them.
        yaml.Load(new MergingParser(new Parser(new StringReader(RepositoryFiles.Read(File)))));
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    });

    private static string BaseImageVariable(string name) => new InfrastructureEntry(name, "").Variable;
}
