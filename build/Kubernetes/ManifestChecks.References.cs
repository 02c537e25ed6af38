using k8s.Models;

namespace AgentSystem.Build.Kubernetes;

public sealed partial class ManifestChecks
{
    /// <summary>What objects name exists: autoscaler targets, Ingress backends, and the Secrets and ConfigMaps pods read.</summary>
    private void References()
    {
        bool Exists(string? ns, string kind, string name) => _objects.Any(x => x.Namespace == ns && x.Kind == kind && x.Name == name);
        foreach (var (o, autoscaler) in All<V2HorizontalPodAutoscaler>())
        {
            var target = autoscaler.Spec.ScaleTargetRef;
            if (!Exists(o.Namespace, target.Kind, target.Name))
            {
                Problem("references", o, "spec.scaleTargetRef", $"no {target.Kind}/{target.Name} in the overlay");
            }
        }
        foreach (var (o, ingress) in All<V1Ingress>())
        {
            var spec = ingress.Spec;
            var backends = (spec.Rules ?? []).SelectMany((r, i) => (r.Http?.Paths ?? []).Select((p, j) => (p.Backend, $"spec.rules[{i}].http.paths[{j}].backend")))
                .Append((spec.DefaultBackend, "spec.defaultBackend"))
                .Where(b => b.Item1?.Service is not null);
            foreach (var (backend, field) in backends)
            {
                var wanted = backend!.Service;
                var service = All<V1Service>().Select(s => s.Model).FirstOrDefault(s => s.Metadata.NamespaceProperty == o.Namespace && s.Metadata.Name == wanted.Name);
                if (service is null)
                {
                    Problem("references", o, $"{field}.service.name", $"no Service {wanted.Name} in the overlay");
                }
                else if (!(service.Spec.Ports ?? []).Any(p => wanted.Port.Number is { } n ? p.Port == n : p.Name == wanted.Port.Name))
                {
                    Problem("references", o, $"{field}.service.port", $"Service {wanted.Name} has no port '{wanted.Port.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? wanted.Port.Name}'");
                }
            }
        }
        foreach (var w in _workloads)
        {
            foreach (var (kind, name, key, optional, field) in ConfigReferences(w))
            {
                if (optional)
                {
                    continue;
                }

                var target = _objects.FirstOrDefault(x => x.Namespace == w.Source.Namespace && x.Kind == kind && x.Name == name);
                var keys = target?.Model switch { V1Secret s => (s.Data?.Keys ?? []).Concat(s.StringData?.Keys ?? []), V1ConfigMap c => c.Data?.Keys ?? [], _ => [] };
                if (target is null)
                {
                    Problem("references", w.Source, field, $"no {kind} {name} in the overlay");
                }
                else if (key is not null && !keys.Contains(key))
                {
                    Problem("references", w.Source, field, $"{kind} {name} has no key '{key}'");
                }
            }
        }
    }

    /// <summary>The Secrets and ConfigMaps a pod reads: env, envFrom and volumes.</summary>
    private static IEnumerable<(string Kind, string Name, string? Key, bool Optional, string Field)> ConfigReferences(Workload w)
    {
        foreach (var (container, field, _) in w.Containers)
        {
            foreach (var (env, i) in (container.Env ?? []).Select((e, i) => (e, i)))
            {
                if (env.ValueFrom?.SecretKeyRef is { } s)
                {
                    yield return ("Secret", s.Name, s.Key, s.Optional == true, $"{field}.env[{i}].valueFrom.secretKeyRef");
                }

                if (env.ValueFrom?.ConfigMapKeyRef is { } c)
                {
                    yield return ("ConfigMap", c.Name, c.Key, c.Optional == true, $"{field}.env[{i}].valueFrom.configMapKeyRef");
                }
            }
            foreach (var (source, i) in (container.EnvFrom ?? []).Select((e, i) => (e, i)))
            {
                if (source.SecretRef is { } s)
                {
                    yield return ("Secret", s.Name, null, s.Optional == true, $"{field}.envFrom[{i}].secretRef");
                }

                if (source.ConfigMapRef is { } c)
                {
                    yield return ("ConfigMap", c.Name, null, c.Optional == true, $"{field}.envFrom[{i}].configMapRef");
                }
            }
        }
        foreach (var (volume, i) in (w.Pod.Volumes ?? []).Select((v, i) => (v, i)))
        {
            if (volume.Secret is { } s)
            {
                yield return ("Secret", s.SecretName, null, s.Optional == true, w.Field($"spec.volumes[{i}].secret"));
            }

            if (volume.ConfigMap is { } c)
            {
                yield return ("ConfigMap", c.Name, null, c.Optional == true, w.Field($"spec.volumes[{i}].configMap"));
            }
        }
    }
}
