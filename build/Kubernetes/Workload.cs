using k8s.Models;

namespace AgentSystem.Build.Kubernetes;

/// <summary>An object that runs pods: its pod template, its selector, and where the template sits in the object.</summary>
public sealed record Workload(ManifestObject Source, V1PodTemplateSpec Template, V1LabelSelector? Selector, string TemplatePath, bool LongRunning)
{
    public static Workload? Of(ManifestObject source) => source.Model switch
    {
        V1Deployment d => new(source, d.Spec.Template, d.Spec.Selector, "spec.template", true),
        V1StatefulSet s => new(source, s.Spec.Template, s.Spec.Selector, "spec.template", true),
        V1DaemonSet s => new(source, s.Spec.Template, s.Spec.Selector, "spec.template", true),
        V1ReplicaSet s => new(source, s.Spec.Template, s.Spec.Selector, "spec.template", true),
        // A Job's selector is generated unless manualSelector is set; it runs to completion, so it has no probes.
        V1Job j => new(source, j.Spec.Template, j.Spec.ManualSelector == true ? j.Spec.Selector : null, "spec.template", false),
        V1CronJob c => new(source, c.Spec.JobTemplate.Spec.Template, null, "spec.jobTemplate.spec.template", false),
        V1Pod p => new(source, new V1PodTemplateSpec { Metadata = p.Metadata, Spec = p.Spec }, null, "", true),
        _ => null,
    };

    public bool HasSelector => Source.Model is V1Deployment or V1StatefulSet or V1DaemonSet or V1ReplicaSet || Selector is not null;

    public IDictionary<string, string> Labels => Template.Metadata?.Labels ?? new Dictionary<string, string>();

    public V1PodSpec Pod => Template.Spec;

    /// <summary>A field of the pod template, as a path from the object's root.</summary>
    public string Field(string relative) => TemplatePath.Length == 0 ? relative : $"{TemplatePath}.{relative}";

    /// <summary>Init containers, then containers, each with its path from the object's root.</summary>
    public IEnumerable<(V1Container Container, string Field, bool Init)> Containers =>
        (Pod.InitContainers ?? []).Select((c, i) => (c, Field($"spec.initContainers[{i}]"), true))
            .Concat((Pod.Containers ?? []).Select((c, i) => (c, Field($"spec.containers[{i}]"), false)));

    /// <summary>Whether a container of this pod declares the port, by number or by name.</summary>
    public bool HasPort(IntOrString port) => (Pod.Containers ?? []).Any(c => Declares(c, port));

    public static bool Declares(V1Container container, IntOrString port) =>
        (container.Ports ?? []).Any(p => Number(port) is { } number ? p.ContainerPort == number : p.Name == port.Value);

    public static int? Number(IntOrString port) =>
        int.TryParse(port.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : null;

    public string PortList => string.Join(", ", (Pod.Containers ?? []).SelectMany(c => c.Ports ?? [])
        .Select(p => p.Name is null ? $"{p.ContainerPort}" : $"{p.Name} ({p.ContainerPort})"));

    public override string ToString() => Source.ToString();
}

/// <summary>Label selectors, as the API server matches them.</summary>
internal static class LabelSelectors
{
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return false;
        }

        if (selector.MatchLabels is { } match && !Matches(match, labels))
        {
            return false;
        }

        return (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out var v) && (e.Values ?? []).Contains(v),
            "NotIn" => !labels.TryGetValue(e.Key, out var v) || !(e.Values ?? []).Contains(v),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => false,
        });
    }

    public static bool Matches(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    public static bool IsEmpty(V1LabelSelector? selector) =>
        selector is null || (selector.MatchLabels is not { Count: > 0 } && selector.MatchExpressions is not { Count: > 0 });

    public static string Describe(IDictionary<string, string>? labels) =>
        labels is { Count: > 0 } ? string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}")) : "none";
}
