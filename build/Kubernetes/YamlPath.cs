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

    /// <summary>
    /// Removes the field (a mapping's entry, or a sequence's item) that holds a position, as <see cref="At"/> finds it:
    /// the innermost one. False when no field holds it.
    /// </summary>
    public static bool RemoveAt(YamlNode root, Mark mark) => Remove(root, mark.Index);

    private static bool Remove(YamlNode node, long index)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var (key, value) = map.Children.LastOrDefault(c => c.Key.Start.Index <= index);
                if (key is null)
                {
                    return false;
                }

                if (index >= key.End.Index && Remove(value, index))
                {
                    return true;
                }

                map.Children.Remove(key);
                return true;
            case YamlSequenceNode sequence:
                var item = sequence.Children.LastOrDefault(c => c.Start.Index <= index);
                if (item is null)
                {
                    return false;
                }

                if (!Remove(item, index))
                {
                    sequence.Children.Remove(item);
                }

                return true;
            default:
                return false;
        }
    }

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
