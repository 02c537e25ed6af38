using System.Reflection;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Kubernetes;

/// <summary>
/// Reads a rendered overlay into KubernetesClient's typed models, strictly: a field the model does not have is an
/// error (KubernetesYaml's strict mode), and the object is kept without it; an apiVersion and kind it does not know is
/// an error too. Each object keeps the source file kustomize's origin annotation names, and loses the annotation.
/// </summary>
public static partial class ManifestReader
{
    private const string OriginAnnotation = "config.kubernetes.io/origin";

    /// <summary>"apps/v1/Deployment" to its model type, for every kind KubernetesClient has a model of.</summary>
    private static readonly Dictionary<string, Type> Models = typeof(V1Pod).Assembly.GetTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(m => m.Entity is not null)
        .ToDictionary(m => Key(string.IsNullOrEmpty(m.Entity!.Group) ? m.Entity.ApiVersion : $"{m.Entity.Group}/{m.Entity.ApiVersion}", m.Entity.Kind), m => m.Type);

    /// <summary>The package's version ("21.0.8"): the assembly version stops at the minor one.</summary>
    private static readonly string ClientVersion = "KubernetesClient " +
        typeof(KubernetesYaml).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];

    public static (List<ManifestObject> Objects, List<ManifestProblem> Problems) Read(RenderedOverlay rendered, string root)
    {
        var objects = new List<ManifestObject>();
        var problems = new List<ManifestProblem>();
        foreach (var document in DocumentSeparator().Split(rendered.Yaml).Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(document));
            if (stream.Documents.Single().RootNode is not YamlMappingNode node)
            {
                continue;
            }

            var (source, generated) = Origin(node, rendered.WrapperDirectory, root);
            var apiVersion = Scalar(node, "apiVersion");
            var kind = Scalar(node, "kind");
            var name = Scalar(node, "metadata", "name");
            void Problem(string check, string field, string message) =>
                problems.Add(new ManifestProblem(check, rendered.Overlay, source, $"{kind}/{name}", field, message));

            if (!Models.ContainsKey(Key(apiVersion, kind)))
            {
                Problem("api-version", "apiVersion", $"{apiVersion} {kind} is not an API {ClientVersion} knows");
                continue;
            }
            IKubernetesObject<V1ObjectMeta>? model;
            try
            {
                model = Load(document, strict: true);
            }
            catch (YamlException e)
            {
                Problem("schema", YamlPath.At(node, e.Start) ?? "?", (e.InnerException ?? e).Message);
                // Read without the unknown field, the object still takes part in the other checks: dropped, a typo in
                // one field made every object that names it fail too (a Deployment's Service, HPA, selectors).
                model = TryLoadLenient(document);
            }

            if (model is not null)
            {
                model.Metadata.Annotations?.Remove(OriginAnnotation);
                if (model.Metadata.Annotations is { Count: 0 })
                {
                    model.Metadata.Annotations = null;
                }

                objects.Add(new ManifestObject(model, source, generated));
            }
        }
        return (objects, problems);
    }

    private static IKubernetesObject<V1ObjectMeta> Load(string document, bool strict) =>
        (IKubernetesObject<V1ObjectMeta>)KubernetesYaml.LoadAllFromString(document, null, strict).Single();

    private static IKubernetesObject<V1ObjectMeta>? TryLoadLenient(string document)
    {
        try
        {
            return Load(document, strict: false);
        }
        catch (YamlException)
        {
            return null;   // not an unknown field: a value of the wrong type, already reported
        }
    }

    private static string Key(string? apiVersion, string? kind) => $"{apiVersion}/{kind}";

    private static string? Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(key, out var child))
            {
                return null;
            }

            node = child;
        }
        return (node as YamlScalarNode)?.Value;
    }

    /// <summary>
    /// The origin annotation holds "path: ../../k8s/base/x.yaml" (a resource) or "configuredIn: .../kustomization.yaml"
    /// with "configuredBy" (a generator's output), relative to the wrapper; made relative to the repository root.
    /// </summary>
    private static (string File, bool Generated) Origin(YamlMappingNode node, string wrapper, string root)
    {
        if (Scalar(node, "metadata", "annotations", OriginAnnotation) is not { } text)
        {
            return ("?", false);
        }

        var origin = new YamlStream();
        origin.Load(new StringReader(text));
        var map = (YamlMappingNode)origin.Documents.Single().RootNode;
        var relative = Scalar(map, "path") ?? Scalar(map, "configuredIn") ?? "?";
        var file = Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(wrapper, relative))).Replace('\\', '/');
        return (file, map.Children.ContainsKey("configuredBy"));
    }

    [GeneratedRegex(@"^---[ \t]*\r?$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}
