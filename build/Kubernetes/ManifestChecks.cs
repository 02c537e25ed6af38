using AgentSystem.Build.Monorepo;
using k8s.Models;

namespace AgentSystem.Build.Kubernetes;

/// <summary>
/// The checks on one rendered overlay, after it was read strictly: selectors, ports and references agree with each
/// other, and the pods (ManifestChecks.Pods.cs) are the ones the catalog builds, probed, bounded and hardened.
/// </summary>
public sealed partial class ManifestChecks
{
    /// <summary>Every check, in the order the summary lists them (api-version and schema are the reader's).</summary>
    public static readonly IReadOnlyList<string> Names =
        ["api-version", "schema", "selectors", "ports", "references", "images", "probes", "resources", "pod-security", "network-policy", "secrets", "client-address"];

    private readonly string _overlay;
    private readonly IReadOnlyList<ManifestObject> _objects;
    private readonly ServiceCatalog _catalog;
    private readonly List<Workload> _workloads;
    private readonly List<ManifestProblem> _problems = [];

    private ManifestChecks(string overlay, IReadOnlyList<ManifestObject> objects, ServiceCatalog catalog)
    {
        _overlay = overlay;
        _objects = objects;
        _catalog = catalog;
        _workloads = objects.Select(Workload.Of).OfType<Workload>().ToList();
    }

    public static List<ManifestProblem> Run(string overlay, IReadOnlyList<ManifestObject> objects, ServiceCatalog catalog)
    {
        var checks = new ManifestChecks(overlay, objects, catalog);
        checks.Selectors();
        checks.Ports();
        checks.References();
        checks.Pods();
        checks.NetworkPolicies();
        checks.Secrets();
        checks.ClientAddresses();
        return checks._problems;
    }

    private void Problem(string check, ManifestObject source, string field, string message) =>
        _problems.Add(new ManifestProblem(check, _overlay, source.SourceFile, source.ToString(), field, message));

    private IEnumerable<(ManifestObject Source, T Model)> All<T>() => _objects.Where(o => o.Model is T).Select(o => (o, (T)o.Model));

    /// <summary>The workloads in a namespace whose pods a selector picks.</summary>
    private IEnumerable<Workload> Selected(string? ns, Func<IDictionary<string, string>, bool> selects) =>
        _workloads.Where(w => w.Source.Namespace == ns && selects(w.Labels));

    private void Selectors()
    {
        foreach (var w in _workloads.Where(w => w.HasSelector && !LabelSelectors.Matches(w.Selector, w.Labels)))
        {
            Problem("selectors", w.Source, "spec.selector",
                $"does not match the pod template's labels ({w.Field("metadata.labels")}: {LabelSelectors.Describe(w.Labels)})");
        }

        foreach (var (o, service) in All<V1Service>())
        {
            if (service.Spec.Selector is not { Count: > 0 } selector)
            {
                continue;
            }

            if (!Selected(o.Namespace, l => LabelSelectors.Matches(selector, l)).Any())
            {
                Problem("selectors", o, "spec.selector", $"selects no pod template ({LabelSelectors.Describe(selector)})");
            }
        }
        foreach (var (o, budget) in All<V1PodDisruptionBudget>())
        {
            var selector = budget.Spec.Selector;
            if (!Selected(o.Namespace, l => LabelSelectors.Matches(selector, l)).Any())
            {
                Problem("selectors", o, "spec.selector", "selects no pod template");
            }
        }
        foreach (var (o, policy) in All<V1NetworkPolicy>())
        {
            var spec = policy.Spec;
            if (!LabelSelectors.IsEmpty(spec.PodSelector) && !Selected(o.Namespace, l => LabelSelectors.Matches(spec.PodSelector, l)).Any())
            {
                Problem("selectors", o, "spec.podSelector", "selects no pod template");
            }

            foreach (var (peer, field) in Peers(spec).Where(p => p.Peer.NamespaceSelector is null && p.Peer.PodSelector is not null))
            {
                if (!Selected(o.Namespace, l => LabelSelectors.Matches(peer.PodSelector, l)).Any())
                {
                    Problem("selectors", o, $"{field}.podSelector", "selects no pod template");
                }
            }
        }
    }

    private static IEnumerable<(V1NetworkPolicyPeer Peer, string Field)> Peers(V1NetworkPolicySpec spec) =>
        (spec.Ingress ?? []).SelectMany((r, i) => (r.FromProperty ?? []).Select((p, j) => (p, $"spec.ingress[{i}].from[{j}]")))
            .Concat((spec.Egress ?? []).SelectMany((r, i) => (r.To ?? []).Select((p, j) => (p, $"spec.egress[{i}].to[{j}]"))));

    private void Ports()
    {
        foreach (var (o, service) in All<V1Service>())
        {
            var spec = service.Spec;
            if (spec.Selector is not { Count: > 0 } selector)
            {
                continue;
            }

            var targets = Selected(o.Namespace, l => LabelSelectors.Matches(selector, l)).ToList();
            foreach (var (port, i) in (spec.Ports ?? []).Select((p, i) => (p, i)))
            {
                var target = port.TargetPort ?? port.Port;
                foreach (var w in targets.Where(w => !w.HasPort(target)))
                {
                    Problem("ports", o, $"spec.ports[{i}].targetPort", $"{w} has no container port '{target.Value}' (it has: {w.PortList})");
                }
            }
        }
        foreach (var (o, policy) in All<V1NetworkPolicy>())
        {
            var spec = policy.Spec;
            var own = Selected(o.Namespace, l => LabelSelectors.Matches(spec.PodSelector, l)).ToList();
            foreach (var (rule, i) in (spec.Ingress ?? []).Select((r, i) => (r, i)))
            {
                PolicyPorts(o, $"spec.ingress[{i}]", rule.Ports, own);
            }

            foreach (var (rule, i) in (spec.Egress ?? []).Select((r, i) => (r, i)))
            {
                var peers = (rule.To ?? []).Where(p => p.NamespaceSelector is null && p.PodSelector is not null)
                    .SelectMany(p => Selected(o.Namespace, l => LabelSelectors.Matches(p.PodSelector, l))).Distinct().ToList();
                PolicyPorts(o, $"spec.egress[{i}]", rule.Ports, peers);
            }
        }
        foreach (var w in _workloads)
        {
            foreach (var (container, field, _) in w.Containers)
            {
                // A probe may use any port by number; a port by name must be one the container declares.
                foreach (var (probe, name) in new[] { (container.ReadinessProbe, "readinessProbe"), (container.LivenessProbe, "livenessProbe"), (container.StartupProbe, "startupProbe") })
                {
                    var (port, action) = probe?.HttpGet is { } get ? (get.Port, "httpGet") : probe?.TcpSocket is { } tcp ? (tcp.Port, "tcpSocket") : (null, "");
                    if (port is not null && Workload.Number(port) is null && !Workload.Declares(container, port))
                    {
                        Problem("ports", w.Source, $"{field}.{name}.{action}.port", $"container {container.Name} declares no port named '{port.Value}'");
                    }
                }
            }
        }
    }

    private void PolicyPorts(ManifestObject policy, string field, IList<V1NetworkPolicyPort>? ports, List<Workload> pods)
    {
        foreach (var (port, j) in (ports ?? []).Select((p, j) => (p, j)))
        {
            foreach (var w in pods.Where(w => port.Port is not null && !w.HasPort(port.Port)))
            {
                Problem("ports", policy, $"{field}.ports[{j}].port", $"{w} has no container port '{port.Port.Value}' (it has: {w.PortList})");
            }
        }
    }

    /// <summary>
    /// Each namespace denies by default (a policy on every pod with no rules), and each workload has a policy of its
    /// own saying what it may reach and what may reach it; without one it is either cut off or open.
    /// </summary>
    private void NetworkPolicies()
    {
        var policies = All<V1NetworkPolicy>().Select(p => p.Model).ToList();
        foreach (var ns in _workloads.Select(w => w.Source.Namespace).Distinct())
        {
            var inNamespace = policies.Where(p => p.Metadata.NamespaceProperty == ns && LabelSelectors.IsEmpty(p.Spec.PodSelector)).ToList();
            foreach (var (type, rules) in new[] { ("Ingress", (Func<V1NetworkPolicy, int>)(p => p.Spec.Ingress?.Count ?? 0)), ("Egress", p => p.Spec.Egress?.Count ?? 0) })
            {
                if (!inNamespace.Any(p => (p.Spec.PolicyTypes ?? []).Contains(type) && rules(p) == 0))
                {
                    // Named on the Namespace object when the overlay has one, else on a workload that lives there.
                    var subject = _objects.FirstOrDefault(o => o.Model is V1Namespace && o.Name == ns) ?? _workloads.First(w => w.Source.Namespace == ns).Source;
                    Problem("network-policy", subject, "-",
                        $"namespace {ns ?? "(none)"} has no default-deny NetworkPolicy for {type} (podSelector: {{}}, policyTypes: [{type}], no rules)");
                }
            }
        }
        foreach (var w in _workloads)
        {
            var own = policies.Where(p => p.Metadata.NamespaceProperty == w.Source.Namespace && !LabelSelectors.IsEmpty(p.Spec.PodSelector)
                && LabelSelectors.Matches(p.Spec.PodSelector, w.Labels));
            if (!own.Any())
            {
                Problem("network-policy", w.Source, w.Field("metadata.labels"),
                    $"no NetworkPolicy selects these pods ({LabelSelectors.Describe(w.Labels)}): add one that allows what the workload reaches and what reaches it");
            }
        }
    }

    /// <summary>Secrets come only from secretGenerators, so no secret is committed as an object.</summary>
    private void Secrets()
    {
        foreach (var (o, _) in All<V1Secret>().Where(s => !s.Source.Generated))
        {
            Problem("secrets", o, "kind", "a Secret written as an object: make it a secretGenerator (with a development value) in its kustomization.yaml");
        }
    }
}
