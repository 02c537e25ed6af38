using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;
using k8s.Models;

namespace AgentSystem.Build.Tests;

/// <summary>ValidateManifests on the repository's manifests, and on copies broken in one way each.</summary>
public sealed class ManifestValidationTests : IDisposable
{
    private readonly ManifestCopy _copy = new();

    public void Dispose() => _copy.Dispose();

    /// <summary>Every overlay reports exactly this one problem and nothing else.</summary>
    private static void AssertOnly(List<OverlayReport> reports, string check, string file, string resource, string field, string message)
    {
        Assert.Equal(["kind", "minikube"], reports.Select(r => r.Overlay));
        foreach (var report in reports)
        {
            var problem = Assert.Single(report.Problems);
            Assert.Equal((check, file, resource, field), (problem.Check, problem.File, problem.Resource, problem.Field));
            Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_repository_manifests_pass_every_check()
    {
        var reports = _copy.Validate();

        Assert.Equal(["kind", "minikube"], reports.Select(r => r.Overlay));
        foreach (var report in reports)
        {
            Assert.Empty(report.Problems);
            var kinds = report.Objects.Select(o => o.ToString()).ToHashSet();
            Assert.Superset(new HashSet<string> { "StatefulSet/redis", "StatefulSet/postgres", "NetworkPolicy/default-deny", "NetworkPolicy/allow-dns",
                "HorizontalPodAutoscaler/worker", "HorizontalPodAutoscaler/gateway", "PodDisruptionBudget/worker",
                "PodDisruptionBudget/gateway", "Ingress/gateway", "Ingress/frontend" }, kinds);
            var config = Assert.Single(report.Objects, o => o.Model is V1ConfigMap);
            Assert.True(config.Generated);
            Assert.Equal("k8s/base/kustomization.yaml", config.SourceFile);
            Assert.Equal("k8s/base/gateway/deployment.yaml", Assert.Single(report.Objects, o => o.ToString() == "Deployment/gateway").SourceFile);
            Assert.All(report.Objects, o => Assert.False(o.Model.Metadata.Annotations?.ContainsKey("config.kubernetes.io/origin") ?? false));
        }
    }

    [Fact]
    public void A_missing_readiness_probe_fails_the_probes_check()
    {
        _copy.Edit("k8s/base/worker/deployment.yaml", """
                      readinessProbe:
                        httpGet: { path: /readyz, port: http }
                        periodSeconds: 5

            """, "");

        AssertOnly(_copy.Validate(), "probes", "k8s/base/worker/deployment.yaml", "Deployment/worker",
            "spec.template.spec.containers[0].readinessProbe", "missing");
    }

    [Fact]
    public void An_emptyDir_without_a_size_limit_fails_the_resources_check()
    {
        // helper-130: a volume without one is bounded only by the node's disk.
        _copy.Edit("k8s/base/frontend/deployment.yaml", """
                      emptyDir:
                        sizeLimit: 64Mi
            """, """
                      emptyDir: {}
            """);

        AssertOnly(_copy.Validate(), "resources", "k8s/base/frontend/deployment.yaml", "Deployment/frontend",
            "spec.template.spec.volumes[0].emptyDir.sizeLimit", "missing: without it the volume can fill the node's disk");
    }

    [Fact]
    public void A_volume_without_a_source_is_an_unbounded_emptyDir_and_fails_the_resources_check()
    {
        _copy.Edit("k8s/base/frontend/deployment.yaml", """
                      emptyDir:
                        sizeLimit: 64Mi
            """, "");

        AssertOnly(_copy.Validate(), "resources", "k8s/base/frontend/deployment.yaml", "Deployment/frontend",
            "spec.template.spec.volumes[0].emptyDir.sizeLimit", "missing: without it the volume can fill the node's disk");
    }

    [Fact]
    public void A_selector_that_misses_the_template_labels_fails_the_selectors_check()
    {
        _copy.Edit("k8s/base/gateway/deployment.yaml", """
              selector:
                matchLabels:
                  app.kubernetes.io/name: gateway
            """, """
              selector:
                matchLabels:
                  app.kubernetes.io/name: gateways
            """);

        AssertOnly(_copy.Validate(), "selectors", "k8s/base/gateway/deployment.yaml", "Deployment/gateway",
            "spec.selector", "does not match the pod template's labels");
    }

    [Fact]
    public void A_privileged_container_fails_the_pod_security_check()
    {
        _copy.Edit("k8s/base/chat/deployment.yaml", """
                        allowPrivilegeEscalation: false
            """, """
                        allowPrivilegeEscalation: false
                        privileged: true
            """);

        AssertOnly(_copy.Validate(), "pod-security", "k8s/base/chat/deployment.yaml", "Deployment/chat",
            "spec.template.spec.containers[0].securityContext.privileged", "must not be true");
    }

    [Fact]
    public void An_unknown_field_fails_the_schema_check_with_its_path()
    {
        _copy.Edit("k8s/base/orchestrator/deployment.yaml", "          readinessProbe:", "          readinesProbe:");

        foreach (var report in _copy.Validate())
        {
            var problem = Assert.Single(report.Problems, p => p.Check == "schema");
            Assert.Equal(("k8s/base/orchestrator/deployment.yaml", "Deployment/orchestrator", "spec.template.spec.containers[0].readinesProbe"),
                (problem.File, problem.Resource, problem.Field));
            Assert.Contains("readinesProbe", problem.Message, StringComparison.Ordinal);
            // Kept without the field: the probes check sees no readiness probe, and nothing that names the Deployment fails.
            Assert.Contains(report.Objects, o => o.Kind == "Deployment" && o.Name == "orchestrator");
            Assert.All(report.Problems, p => Assert.True(p.Check is "schema" or "probes", $"{p.Check}: {p.Message}"));
        }
    }

    [Fact]
    public void A_value_of_the_wrong_type_costs_its_field_not_the_object()
    {
        // helper-57: the Deployment was dropped, and 16 problems followed from it (its Service, PDB, HPA, policies).
        _copy.Edit("k8s/base/gateway/deployment.yaml", "periodSeconds: 10", "periodSeconds: ten");

        foreach (var report in _copy.Validate())
        {
            var problem = Assert.Single(report.Problems);
            Assert.Equal(("schema", "Deployment/gateway"), (problem.Check, problem.Resource));
            Assert.EndsWith("periodSeconds", problem.Field, StringComparison.Ordinal);
            Assert.Equal("'ten' is not a number, which this field takes", problem.Message);   // not .NET's "was not in a correct format"
            Assert.Contains(report.Objects, o => o.Kind == "Deployment" && o.Name == "gateway");
        }
    }

    [Fact]
    public void A_number_too_large_for_its_field_and_a_word_where_a_boolean_goes_are_named_as_such()
    {
        _copy.Edit("k8s/base/gateway/deployment.yaml", "periodSeconds: 10", "periodSeconds: 99999999999");
        _copy.Edit("k8s/base/gateway/deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: sometimes");

        foreach (var report in _copy.Validate())
        {
            Assert.Contains(report.Problems, p => p.Field.EndsWith("periodSeconds", StringComparison.Ordinal)
                && p.Message == "'99999999999' is out of range for this field (a number, Int32)");
            Assert.Contains(report.Problems, p => p.Field.EndsWith("runAsNonRoot", StringComparison.Ordinal)
                && p.Message == "'sometimes' is not a boolean, which this field takes");
        }
    }

    [Fact]
    public void A_quoted_string_where_the_api_takes_a_boolean_or_a_number_fails_the_schema_check()
    {
        _copy.Edit("k8s/base/gateway/deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: \"true\"");
        _copy.Edit("k8s/base/gateway/deployment.yaml", "containerPort: 8080", "containerPort: '8080'");

        foreach (var report in _copy.Validate())
        {
            Assert.Equal(2, report.Problems.Count);
            Assert.All(report.Problems, p => Assert.Equal(("schema", "Deployment/gateway"), (p.Check, p.Resource)));
            Assert.Contains(report.Problems, p => p.Field.EndsWith("runAsNonRoot", StringComparison.Ordinal) && p.Message.Contains("takes a boolean", StringComparison.Ordinal));
            Assert.Contains(report.Problems, p => p.Field.EndsWith("ports[0].containerPort", StringComparison.Ordinal) && p.Message.Contains("takes a number", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_node_port_to_the_gateway_that_loses_the_clients_address_fails_the_client_address_check()
    {
        _copy.Edit("k8s/overlays/kind/gateway-nodeport.yaml", "  externalTrafficPolicy: Local\n", "");

        var reports = _copy.Validate();

        var problem = Assert.Single(Assert.Single(reports, r => r.Overlay == "kind").Problems);
        // Kustomize names the object's origin, the base; the overlay's patch made it a NodePort.
        Assert.Equal(("client-address", "k8s/base/gateway/service.yaml", "Service/gateway", "spec.externalTrafficPolicy"),
            (problem.Check, problem.File, problem.Resource, problem.Field));
        Assert.Contains("a NodePort in front of the gateway or the frontend needs externalTrafficPolicy: Local (set it where the type is set, in the overlay's patch", problem.Message, StringComparison.Ordinal);
        Assert.Contains("while the gateway trusts 10.244.0.0/16", problem.Message, StringComparison.Ordinal);
        Assert.Empty(Assert.Single(reports, r => r.Overlay == "minikube").Problems);
    }

    [Fact]
    public void A_service_target_port_no_container_has_fails_the_ports_check()
    {
        _copy.Edit("k8s/base/chat/service.yaml", "targetPort: http", "targetPort: web");

        AssertOnly(_copy.Validate(), "ports", "k8s/base/chat/service.yaml", "Service/chat",
            "spec.ports[0].targetPort", "Deployment/chat has no container port 'web' (it has: http (3001))");
    }

    [Fact]
    public void A_workload_without_a_network_policy_of_its_own_fails_the_network_policy_check()
    {
        _copy.Edit("k8s/base/worker/kustomization.yaml", "  - networkpolicy.yaml\n", "");

        AssertOnly(_copy.Validate(), "network-policy", "k8s/base/worker/deployment.yaml", "Deployment/worker",
            "spec.template.metadata.labels", "no NetworkPolicy selects these pods");
    }

    [Fact]
    public void Without_a_default_deny_policy_the_namespace_fails_the_network_policy_check()
    {
        _copy.Edit("k8s/base/kustomization.yaml", "  - default-deny.yaml\n", "");

        foreach (var report in _copy.Validate())
        {
            Assert.Equal(2, report.Problems.Count);
            Assert.All(report.Problems, p => Assert.Equal(("network-policy", "k8s/base/namespace.yaml", "Namespace/agentsystem"), (p.Check, p.File, p.Resource)));
            Assert.Contains(report.Problems, p => p.Message.StartsWith("namespace agentsystem has no default-deny NetworkPolicy for Ingress", StringComparison.Ordinal));
            Assert.Contains(report.Problems, p => p.Message.StartsWith("namespace agentsystem has no default-deny NetworkPolicy for Egress", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void An_image_the_catalog_does_not_build_fails_the_images_check()
    {
        _copy.Edit("k8s/base/frontend/deployment.yaml", "image: agentsystem/frontend:dev", "image: nginx:1.27");

        AssertOnly(_copy.Validate(), "images", "k8s/base/frontend/deployment.yaml", "Deployment/frontend",
            "spec.template.spec.containers[0].image", "'nginx:1.27' is neither a service image the catalog builds");
    }

    [Fact]
    public void An_api_version_the_client_does_not_know_fails_the_api_version_check()
    {
        _copy.Edit("k8s/base/worker/pdb.yaml", "apiVersion: policy/v1", "apiVersion: policy/v1beta1");

        AssertOnly(_copy.Validate(), "api-version", "k8s/base/worker/pdb.yaml", "PodDisruptionBudget/worker",
            "apiVersion", "policy/v1beta1 PodDisruptionBudget is not an API KubernetesClient 21.0.8 knows");
    }

    [Fact]
    public void A_secret_written_as_an_object_fails_the_secrets_check()
    {
        _copy.Write("k8s/base/postgres/secret.yaml", """
            apiVersion: v1
            kind: Secret
            metadata:
              name: extra
            stringData:
              password: committed
            """);
        _copy.Edit("k8s/base/postgres/kustomization.yaml", "  - service.yaml\n", "  - service.yaml\n  - secret.yaml\n");

        AssertOnly(_copy.Validate(), "secrets", "k8s/base/postgres/secret.yaml", "Secret/extra", "kind", "make it a secretGenerator");
    }

    [Fact]
    public void A_reference_to_a_missing_secret_key_fails_the_references_check()
    {
        _copy.Edit("k8s/base/frontend/deployment.yaml", "key: Gateway__ApiKeys__0", "key: Gateway__ApiKeys__1");

        AssertOnly(_copy.Validate(), "references", "k8s/base/frontend/deployment.yaml", "Deployment/frontend",
            "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef", "has no key 'Gateway__ApiKeys__1'");
    }

    [Fact]
    public void An_overlay_kustomize_rejects_is_reported_with_kustomizes_message()
    {
        _copy.Edit("k8s/overlays/kind/kustomization.yaml", "  - path: gateway-nodeport.yaml", "  - path: missing-patch.yaml");

        var reports = _copy.Validate();
        var kind = reports.Single(r => r.Overlay == "kind");
        var problem = Assert.Single(kind.Problems);
        Assert.Equal(("render", "k8s/overlays/kind/kustomization.yaml"), (problem.Check, problem.File));
        Assert.Contains("missing-patch.yaml", problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("kind: k8s/overlays/kind/kustomization.yaml: ", problem.ToString(), StringComparison.Ordinal);
        // Its checks did not run: the summary says so rather than "ok" (helper-57).
        var rows = ManifestValidator.Summary(reports).Render().ToList();
        var column = reports.FindIndex(r => r.Overlay == "kind");
        Assert.Contains(rows, row => row.StartsWith("schema", StringComparison.Ordinal) && row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1 + column] == "-");
        Assert.Contains(rows, row => row.StartsWith("render", StringComparison.Ordinal) && row.Contains("1 failed", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_kubectl_the_message_says_what_to_install_and_how_to_skip()
    {
        var e = Assert.Throws<TargetFailedException>(() => _copy.Validate(kubectl: "kubectl-that-is-not-installed"));

        Assert.Contains("kubectl-that-is-not-installed is not installed (or not on PATH)", e.Message, StringComparison.Ordinal);
        Assert.Contains("--skip ValidateManifests", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_sets_the_image_tags_a_deploy_built()
    {
        var rendered = new Kustomize(_copy.Root).Render("kind", new Dictionary<string, string> { ["agentsystem/gateway"] = "3f2a9c1" });
        var (objects, problems) = ManifestReader.Read(rendered, _copy.Root);

        Assert.Empty(problems);
        var gateway = (V1Deployment)Assert.Single(objects, o => o.ToString() == "Deployment/gateway").Model;
        Assert.Equal("agentsystem/gateway:3f2a9c1", gateway.Spec.Template.Spec.Containers[0].Image);
        var chat = (V1Deployment)Assert.Single(objects, o => o.ToString() == "Deployment/chat").Model;
        Assert.Equal("agentsystem/chat:dev", chat.Spec.Template.Spec.Containers[0].Image);
    }
}
