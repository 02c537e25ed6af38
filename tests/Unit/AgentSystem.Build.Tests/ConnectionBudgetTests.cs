using System.Globalization;
using System.Text.Json;
using AgentSystem.Build.Monorepo;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

/// <summary>
/// docs/architecture.md, "Connection budget": every pod of every service that uses PostgreSQL, each with its whole pool,
/// during a rolling update too, fits PostgreSQL's max_connections with room left for migrations and an operator.
/// </summary>
public sealed class ConnectionBudgetTests
{
    /// <summary>PostgreSQL's default; k8s/base/postgres sets no other (checked below).</summary>
    private const int MaxConnections = 100;
    /// <summary>superuser_reserved_connections' default.</summary>
    private const int Reserved = 3;
    /// <summary>The migration Jobs, psql, a monitoring agent.</summary>
    private const int Spare = 10;
    private const string StoreProject = "shared/Store/AgentSystem.Store.csproj";

    [Fact]
    public void The_pools_of_all_pods_fit_max_connections_with_room_to_spare()
    {
        Assert.DoesNotContain("max_connections", RepositoryFiles.Read("k8s/base/postgres/statefulset.yaml"), StringComparison.Ordinal);

        var budget = RepositoryFiles.Catalog.Services
            .Where(s => s.Kind == ServiceKind.Dotnet && RepositoryFiles.Read(s.Project).Contains(StoreProject, StringComparison.Ordinal))
            .Select(s => (s.Name, Pool: MaxPoolSize(s), Pods: MostPods(s)))
            .ToList();
        Assert.Equal(["chat", "orchestrator", "worker"], budget.Select(b => b.Name).Order(StringComparer.Ordinal));

        var total = budget.Sum(b => b.Pool * b.Pods);
        var shown = string.Join(", ", budget.Select(b => $"{b.Name} {b.Pool} x {b.Pods} pods"));
        Assert.True(total <= MaxConnections - Reserved - Spare, $"{shown} = {total} connections; at most {MaxConnections - Reserved - Spare} fit with room to spare");
    }

    private static int MaxPoolSize(ServiceEntry service)
    {
        var path = Path.Combine(PathUtil.DirectoryOf(service.Project), "appsettings.json");
        using var settings = JsonDocument.Parse(RepositoryFiles.Read(path));
        return settings.RootElement.TryGetProperty("Postgres", out var postgres) && postgres.TryGetProperty("MaxPoolSize", out var size)
            ? size.GetInt32()
            : throw new Xunit.Sdk.XunitException($"{path} sets no Postgres:MaxPoolSize, so {service.Name} may open Npgsql's default of 100.");
    }

    /// <summary>The HPA's maxReplicas, else the Deployment's replicas; plus the rolling update's surge (25 %, rounded up).</summary>
    private static int MostPods(ServiceEntry service)
    {
        var folder = service.Manifests ?? throw new Xunit.Sdk.XunitException($"{service.Name} has no manifests in the catalog.");
        var hpa = Path.Combine(folder, "hpa.yaml");
        var pods = File.Exists(Path.Combine(RepositoryFiles.Root, hpa))
            ? Number(Spec(hpa), "maxReplicas")
            : Spec(Path.Combine(folder, "deployment.yaml")).Children.ContainsKey("replicas") ? Number(Spec(Path.Combine(folder, "deployment.yaml")), "replicas") : 1;
        return pods + (int)Math.Ceiling(pods * 0.25);
    }

    private static YamlMappingNode Spec(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read(path));
        yaml.Load(reader);
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["spec"];
    }

    private static int Number(YamlMappingNode node, string key) => int.Parse(((YamlScalarNode)node[key]).Value!, CultureInfo.InvariantCulture);
}
