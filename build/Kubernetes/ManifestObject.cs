using k8s;
using k8s.Models;

namespace AgentSystem.Build.Kubernetes;

/// <summary>
/// One object of a rendered overlay in KubernetesClient's typed model (origin annotation removed, ready to apply),
/// with the file under k8s/ it came from and whether a kustomize generator made it.
/// </summary>
public sealed record ManifestObject(IKubernetesObject<V1ObjectMeta> Model, string SourceFile, bool Generated)
{
    public string Kind => Model.Kind;
    public string Name => Model.Metadata.Name;
    public string? Namespace => Model.Metadata.NamespaceProperty;

    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>What a check found wrong: the overlay, the source file, the object and the field it is about.</summary>
public sealed record ManifestProblem(string Check, string Overlay, string File, string Resource, string Field, string Message)
{
    /// <summary>"kind: k8s/base/x.yaml: Deployment/x: spec.replicas: message"; an overlay's own problem (kustomize's) has no object.</summary>
    public override string ToString() =>
        Resource == NoObject ? $"{Overlay}: {File}: {Message}" : $"{Overlay}: {File}: {Resource}: {Field}: {Message}";

    /// <summary>The <see cref="Resource"/> and <see cref="Field"/> of a problem about the overlay as a whole.</summary>
    public const string NoObject = "-";
}
