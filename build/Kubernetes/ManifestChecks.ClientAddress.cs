using k8s.Models;

namespace AgentSystem.Build.Kubernetes;

public sealed partial class ManifestChecks
{
    /// <summary>Services whose pods name the client to the gateway's limits (the gateway, and the frontend's server in front of it).</summary>
    private static readonly string[] ClientFacing = ["gateway", "frontend"];

    /// <summary>
    /// When the gateway trusts proxies (Gateway__TrustedProxies__N in a ConfigMap), a NodePort or LoadBalancer Service in
    /// front of the gateway or the frontend keeps the client's address (externalTrafficPolicy: Local). With the default
    /// (Cluster) kube-proxy rewrites it to an address of the node in the pod network, which the trusted network usually
    /// holds, and the gateway would believe whatever X-Forwarded-For the client sent: any client could pick the address
    /// its failed keys and its rate limit count against.
    /// </summary>
    private void ClientAddresses()
    {
        var trusted = All<V1ConfigMap>().SelectMany(c => c.Model.Data ?? new Dictionary<string, string>())
            .Where(entry => entry.Key.StartsWith("Gateway__TrustedProxies__", StringComparison.Ordinal) && entry.Value.Trim().Length > 0)
            .Select(entry => entry.Value.Trim()).ToList();
        if (trusted.Count == 0)
        {
            return;
        }

        foreach (var (o, service) in All<V1Service>())
        {
            if (service.Spec.Type is not ("NodePort" or "LoadBalancer") || service.Spec.ExternalTrafficPolicy == "Local"
                || service.Spec.Selector is not { Count: > 0 } selector
                || !Selected(o.Namespace, l => LabelSelectors.Matches(selector, l)).Any(w => ClientFacing.Contains(w.Source.Name)))
            {
                continue;
            }

            // The file is the object's origin; a patch that made it a NodePort is not named by kustomize's origin annotation.
            Problem("client-address", o, "spec.externalTrafficPolicy",
                $"a {service.Spec.Type} in front of the gateway or the frontend needs externalTrafficPolicy: Local (set it where the type is set, "
                + $"in the overlay's patch if one makes it a {service.Spec.Type}) while the gateway trusts {string.Join(", ", trusted)}: with Cluster, "
                + "kube-proxy gives every client a node address inside the pod network, and the gateway would believe the X-Forwarded-For the "
                + "client sent, letting it choose the address its limits count against");
        }
    }
}
