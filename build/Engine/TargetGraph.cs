using System.Reflection;

namespace AgentSystem.Build.Engine;

/// <summary>A target with its relations resolved to other targets.</summary>
internal sealed class TargetNode(TargetDefinition definition, int declarationIndex)
{
    public TargetDefinition Definition { get; } = definition;
    public string Name => Definition.Name;
    public int DeclarationIndex { get; } = declarationIndex;
    public List<TargetNode> Dependencies { get; } = [];
    public List<TargetNode> Triggers { get; } = [];
    /// <summary>Targets that must run before this one when both are in the plan.</summary>
    public List<TargetNode> OrderedAfter { get; } = [];
}

/// <summary>All targets of a build object, found by reflection on its <see cref="Target"/> properties.</summary>
internal sealed class TargetGraph
{
    private readonly Dictionary<string, TargetNode> _byName = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<TargetNode> Targets { get; }

    private TargetGraph(List<TargetNode> targets)
    {
        Targets = targets;
        foreach (var target in targets)
        {
            _byName[target.Name] = target;
        }
    }

    public TargetNode? Find(string name) => _byName.GetValueOrDefault(name);

    public static TargetGraph From(object build)
    {
        var properties = build.GetType()
            .GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(Target) && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken)
            .ToList();

        // Expression-bodied properties return a new delegate on every call, but delegates compare equal when they
        // wrap the same method on the same object, so a delegate identifies its target.
        var nameOf = new Dictionary<Target, string>();
        var nodes = new List<TargetNode>();
        foreach (var property in properties)
        {
            var factory = (Target)property.GetValue(build)!;
            nameOf[factory] = property.Name;
            var definition = new TargetDefinition(property.Name);
            factory(definition);
            nodes.Add(new TargetNode(definition, nodes.Count));
        }

        var graph = new TargetGraph(nodes);
        TargetNode Resolve(Target target, TargetNode from) =>
            nameOf.TryGetValue(target, out var name)
                ? graph._byName[name]
                : throw new BuildConfigurationException($"Target '{from.Name}' refers to a target that is not a Target property of {build.GetType().Name}.");

        foreach (var node in nodes)
        {
            var d = node.Definition;
            foreach (var t in d.DependsOnTargets)
            {
                AddOnce(node.Dependencies, Resolve(t, node));
            }

            foreach (var t in d.DependentForTargets)
            {
                AddOnce(Resolve(t, node).Dependencies, node);
            }

            foreach (var t in d.AfterTargets)
            {
                AddOnce(node.OrderedAfter, Resolve(t, node));
            }

            foreach (var t in d.BeforeTargets)
            {
                AddOnce(Resolve(t, node).OrderedAfter, node);
            }

            foreach (var t in d.TriggersTargets)
            {
                AddOnce(node.Triggers, Resolve(t, node));
            }

            foreach (var t in d.TriggeredByTargets)
            {
                AddOnce(Resolve(t, node).Triggers, node);
            }
        }
        return graph;
    }

    private static void AddOnce(List<TargetNode> list, TargetNode node)
    {
        if (!list.Contains(node))
        {
            list.Add(node);
        }
    }
}

/// <summary>A mistake in how the build declares its targets or parameters (not in how it was called).</summary>
public sealed class BuildConfigurationException(string message) : Exception(message);

/// <summary>A mistake in how the build was called: unknown target, unknown parameter, bad value.</summary>
public sealed class UsageException(string message) : Exception(message);
