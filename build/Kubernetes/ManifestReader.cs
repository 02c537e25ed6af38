using System.Reflection;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Kubernetes;

/// <summary>
/// Reads a rendered overlay into KubernetesClient's typed models, strictly: a field the model does not have, a value
/// of the wrong type, or a quoted string where the API takes a boolean or a number is an error (KubernetesYaml's strict
/// mode, and a walk beside the model), and the object is kept without the field; an apiVersion and kind it does not
/// know is an error too. Each object keeps the source file kustomize's origin annotation names, and loses the annotation.
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

            if (!Models.TryGetValue(Key(apiVersion, kind), out var modelType))
            {
                Problem("api-version", "apiVersion", $"{apiVersion} {kind} is not an API {ClientVersion} knows");
                continue;
            }

            // Each error names one field: reported, then the object is read again without it, so that a misspelled field
            // or a value of the wrong type costs that field, not the object (dropped, every object that names it failed
            // too: a Deployment's Service, HPA, selectors).
            IKubernetesObject<V1ObjectMeta>? model = null;
            var text = document;
            var current = node;
            for (var attempt = 0; model is null && attempt < MaxProblemsPerObject; attempt++)
            {
                try
                {
                    model = Load(text);
                }
                catch (YamlException e)
                {
                    Problem("schema", YamlPath.At(current, e.Start) ?? "?", SchemaMessage(e, current, modelType));
                    if (!YamlPath.RemoveAt(current, e.Start))
                    {
                        break;
                    }

                    (text, current) = Reparse(current);
                }
            }

            if (model is not null)
            {
                foreach (var (field, type) in QuotedValues(current, model.GetType()))
                {
                    Problem("schema", field, $"a quoted string where the API takes {type}: write it without quotes (the API server refuses a string here)");
                }

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

    private static IKubernetesObject<V1ObjectMeta> Load(string document) =>
        (IKubernetesObject<V1ObjectMeta>)KubernetesYaml.LoadAllFromString(document, null, strict: true).Single();

    /// <summary>Past this many, the object is left out: its document is more than a few typos away from a manifest.</summary>
    private const int MaxProblemsPerObject = 20;

    private static (string Text, YamlMappingNode Node) Reparse(YamlMappingNode node)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (text, (YamlMappingNode)stream.Documents.Single().RootNode);
    }

    /// <summary>
    /// Quoted scalars where the model has a boolean or a number ("true", "8080"): YamlDotNet converts them, the API server
    /// refuses them.
    /// </summary>
    private static IEnumerable<(string Field, string Type)> QuotedValues(YamlNode node, Type type) =>
        from field in Fields(node, type, "")
        where field.Node is YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted }
        let expected = NumberOrBoolean(field.Type)
        where expected is not null
        select (field.Path, expected);

    /// <summary>
    /// What a schema error says: the reader's own words, except for a value it could not convert (.NET's "The input
    /// string 'ten' was not in a correct format"), which is named with the type the field takes.
    /// </summary>
    private static string SchemaMessage(YamlException error, YamlNode node, Type type)
    {
        var inner = error.InnerException ?? error;
        if (inner is FormatException or OverflowException)
        {
            var field = Fields(node, type, "").FirstOrDefault(f => f.Node is YamlScalarNode && f.Node.Start.Index == error.Start.Index);
            if (field.Node is YamlScalarNode { Value: var value } && NumberOrBoolean(field.Type) is { } expected)
            {
                return inner is OverflowException
                    ? $"'{value}' is out of range for this field ({expected}, {Nullable.GetUnderlyingType(field.Type)?.Name ?? field.Type.Name})"
                    : $"'{value}' is not {expected}, which this field takes";
            }
        }

        return inner.Message;
    }

    /// <summary>Each node of the document beside the model's type for it (properties found by their JSON names).</summary>
    private static IEnumerable<(string Path, YamlNode Node, Type Type)> Fields(YamlNode node, Type type, string path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        yield return (path, node, type);
        switch (node)
        {
            case YamlMappingNode map when type.IsClass && type != typeof(string) && !typeof(System.Collections.IDictionary).IsAssignableFrom(type):
                foreach (var (key, value) in map.Children)
                {
                    if (key is YamlScalarNode { Value: { } name } && Property(type, name) is { } property)
                    {
                        foreach (var found in Fields(value, property.PropertyType, path.Length == 0 ? name : $"{path}.{name}"))
                        {
                            yield return found;
                        }
                    }
                }

                break;
            case YamlSequenceNode sequence when type.IsGenericType && type.GetGenericArguments() is [var item]:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    foreach (var found in Fields(sequence.Children[i], item, $"{path}[{i}]"))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }

    private static string? NumberOrBoolean(Type type) =>
        type == typeof(bool) ? "a boolean"
        : type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(float) ? "a number"
        : null;

    private static PropertyInfo? Property(Type type, string name) =>
        type.GetProperties().FirstOrDefault(p => p.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name == name);

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
