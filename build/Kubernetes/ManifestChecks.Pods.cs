using k8s.Models;

namespace AgentSystem.Build.Kubernetes;

public sealed partial class ManifestChecks
{
    /// <summary>The volume types the restricted Pod Security Standard allows (V1Volume property names).</summary>
    private static readonly HashSet<string> AllowedVolumes =
        ["Name", "ConfigMap", "Csi", "DownwardAPI", "EmptyDir", "Ephemeral", "PersistentVolumeClaim", "Projected", "Secret"];

    private static readonly string[] ResourceNames = ["cpu", "memory"];

    private void Pods()
    {
        foreach (var w in _workloads)
        {
            PodSecurity(w);
            foreach (var (container, field, init) in w.Containers)
            {
                Image(w, container, field);
                if (w.LongRunning && !init)
                {
                    if (container.ReadinessProbe is null)
                    {
                        Problem("probes", w.Source, $"{field}.readinessProbe", "missing: without it a pod gets traffic before it is ready");
                    }

                    if (container.LivenessProbe is null)
                    {
                        Problem("probes", w.Source, $"{field}.livenessProbe", "missing: without it a hung process is never restarted");
                    }
                }
                foreach (var (kind, amounts) in new[] { ("requests", container.Resources?.Requests), ("limits", container.Resources?.Limits) })
                {
                    foreach (var resource in ResourceNames.Where(r => amounts is null || !amounts.ContainsKey(r)))
                    {
                        Problem("resources", w.Source, $"{field}.resources.{kind}.{resource}", "missing");
                    }
                }
                ContainerSecurity(w, container, field);
            }
        }
    }

    /// <summary>Images are the catalog's services (any tag: the build tags dev and the commit) or its infrastructure, exactly.</summary>
    private void Image(Workload w, V1Container container, string field)
    {
        var image = container.Image ?? "";
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        var repository = colon > slash ? image[..colon] : image;
        var services = _catalog.Services.Select(s => s.Image).OfType<string>().ToList();
        var infrastructure = _catalog.Infrastructure.Select(i => i.Image).ToList();
        if (colon > slash && services.Contains(repository) || infrastructure.Contains(image))
        {
            return;
        }

        Problem("images", w.Source, $"{field}.image",
            $"'{image}' is neither a service image the catalog builds ({string.Join(", ", services.Select(s => s + ":<tag>"))}) " +
            $"nor its infrastructure ({string.Join(", ", infrastructure)}): see {Monorepo.ServiceCatalog.FileName}");
    }

    /// <summary>The pod-level half of the restricted Pod Security Standard: no host namespaces, only allowed volume types; and every emptyDir bounded.</summary>
    private void PodSecurity(Workload w)
    {
        foreach (var (on, name) in new[] { (w.Pod.HostNetwork, "hostNetwork"), (w.Pod.HostPID, "hostPID"), (w.Pod.HostIPC, "hostIPC") })
        {
            if (on == true)
            {
                Problem("pod-security", w.Source, w.Field($"spec.{name}"), "must not be true (restricted Pod Security Standard)");
            }
        }
        foreach (var (volume, i) in (w.Pod.Volumes ?? []).Select((v, i) => (v, i)))
        {
            var type = typeof(V1Volume).GetProperties().FirstOrDefault(p => !AllowedVolumes.Contains(p.Name) && p.GetValue(volume) is not null);
            if (type is not null)
            {
                Problem("pod-security", w.Source, w.Field($"spec.volumes[{i}]"), $"volume type {type.Name} is not allowed by the restricted Pod Security Standard");
            }

            // A volume naming no source is an emptyDir to the API server (helper-131). Evicted past its limit; without one,
            // what a container writes there (a client's upload) can fill the node's disk, or its memory for medium Memory.
            var source = typeof(V1Volume).GetProperties().Any(p => p.Name != "Name" && p.GetValue(volume) is not null);
            if (volume.EmptyDir is { SizeLimit: null } || !source)
            {
                var where = volume.EmptyDir?.Medium == "Memory" ? "memory" : "disk";
                Problem("resources", w.Source, w.Field($"spec.volumes[{i}].emptyDir.sizeLimit"), $"missing: without it the volume can fill the node's {where}");
            }
        }
    }

    /// <summary>
    /// The container-level half, with the pod's securityContext as the default: non-root, RuntimeDefault (or Localhost)
    /// seccomp, not privileged, no privilege escalation, every capability dropped (NET_BIND_SERVICE may be added back),
    /// no host ports; and, beyond the standard, a read-only root file system.
    /// </summary>
    private void ContainerSecurity(Workload w, V1Container container, string field)
    {
        var pod = w.Pod.SecurityContext;
        var own = container.SecurityContext;
        var context = $"{field}.securityContext";
        void Fail(string property, string message) => Problem("pod-security", w.Source, $"{context}.{property}", message);

        if ((own?.RunAsNonRoot ?? pod?.RunAsNonRoot) != true)
        {
            Fail("runAsNonRoot", "must be true (here or in the pod's securityContext)");
        }

        if ((own?.RunAsUser ?? pod?.RunAsUser) == 0)
        {
            Fail("runAsUser", "must not be 0 (root)");
        }

        if ((own?.SeccompProfile ?? pod?.SeccompProfile)?.Type is not ("RuntimeDefault" or "Localhost"))
        {
            Fail("seccompProfile.type", "must be RuntimeDefault (here or in the pod's securityContext)");
        }

        if (own?.Privileged == true)
        {
            Fail("privileged", "must not be true");
        }

        if (own?.AllowPrivilegeEscalation != false)
        {
            Fail("allowPrivilegeEscalation", "must be false");
        }

        if (!(own?.Capabilities?.Drop ?? []).Contains("ALL"))
        {
            Fail("capabilities.drop", "must contain ALL");
        }

        foreach (var added in (own?.Capabilities?.Add ?? []).Where(c => c != "NET_BIND_SERVICE"))
        {
            Fail("capabilities.add", $"{added} may not be added (only NET_BIND_SERVICE)");
        }

        if (own?.ProcMount is { } mount && mount != "Default")
        {
            Fail("procMount", "must be Default");
        }

        if (own?.ReadOnlyRootFilesystem != true)
        {
            Fail("readOnlyRootFilesystem", "must be true (mount an emptyDir where the process writes, e.g. /tmp)");
        }

        foreach (var (port, i) in (container.Ports ?? []).Select((p, i) => (p, i)).Where(p => p.p.HostPort is > 0))
        {
            Problem("pod-security", w.Source, $"{field}.ports[{i}].hostPort", "host ports are not allowed");
        }
    }
}
