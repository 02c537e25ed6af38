using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Kubernetes;

/// <summary>Turns a position in a YAML document (where a parse error was) into the field's path: spec.containers[0].foo.</summary>
public static class YamlPath
{
    /// <summary>
    /// YamlDotNet gives block collections no useful end mark, so the child holding a position is the last one that
    /// starts at or before it (children come in document order).
    /// </summary>
    public static string? At(YamlNode root, Mark mark) => Find(root, mark.Index, "");

    private static string? Find(YamlNode node, long index, string path)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var (key, value) = map.Children.LastOrDefault(c => c.Key.Start.Index <= index);
                if (key is null)
                {
                    return path.Length == 0 ? null : path;
                }

                var field = path.Length == 0 ? key.ToString() : $"{path}.{key}";
                return index < key.End.Index ? field : Find(value, index, field);
            case YamlSequenceNode sequence:
                var item = sequence.Children.Select((n, i) => (Node: n, Index: i)).LastOrDefault(c => c.Node.Start.Index <= index);
                return item.Node is null ? path : Find(item.Node, index, $"{path}[{item.Index}]");
            default:
                return path.Length == 0 ? null : path;
        }
    }
}
