namespace AgentSystem.Build.Engine;

/// <param name="SkippedByCondition">Skipped because a static condition failed, and not by <c>--skip</c> as well.</param>
internal sealed record PlannedTarget(TargetNode Node, string? SkipReason, bool SkippedByCondition)
{
    public string Name => Node.Name;
}

/// <summary>
/// Which targets run, in which order: requested targets, their dependencies and triggers, minus skips. A skipped target
/// stays in the plan, but what only it needs does not.
/// </summary>
internal static class ExecutionPlan
{
    /// <param name="skip">null: skip nothing; empty: skip everything that was not requested; otherwise those targets.</param>
    public static IReadOnlyList<PlannedTarget> Create(IReadOnlyList<TargetNode> requested, IReadOnlyCollection<string>? skip)
    {
        var staticSkips = new Dictionary<TargetNode, string>();
        var included = new HashSet<TargetNode>();
        var pending = new Stack<TargetNode>(requested.Reverse());
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (!included.Add(node))
            {
                continue;
            }

            var failed = node.Definition.StaticConditions.FirstOrDefault(c => !c.Condition());
            if (failed.Condition is not null)
            {
                staticSkips[node] = $"condition: {failed.Because()}";
            }
            // A target skipped whatever happens does not pull in its dependencies or triggers: `Test --skip IntegrationTest`
            // installed Docker and Chromium for it.
            if (failed.Condition is not null || IsNamedIn(skip, node))
            {
                continue;
            }
            foreach (var next in node.Dependencies.Concat(node.Triggers))
            {
                pending.Push(next);
            }
        }

        var ordered = TopologicalOrder(included);
        var requestedSet = requested.ToHashSet();
        // A target skipped by hand as well as by its condition keeps what an earlier run of it made: no WhenSkipped tidying.
        return ordered.Select(node => new PlannedTarget(node, SkipReason(node), staticSkips.ContainsKey(node) && !SkippedByHand(node))).ToList();

        string? SkipReason(TargetNode node) =>
            staticSkips.TryGetValue(node, out var reason) ? reason : SkippedByHand(node) ? "--skip" : null;

        bool SkippedByHand(TargetNode node) =>
            skip is not null && (skip.Count == 0 ? !requestedSet.Contains(node) : IsNamedIn(skip, node));
    }

    private static bool IsNamedIn(IReadOnlyCollection<string>? skip, TargetNode node) =>
        skip is not null && skip.Contains(node.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Kahn's algorithm; ties broken by declaration order so plans are stable.</summary>
    private static List<TargetNode> TopologicalOrder(HashSet<TargetNode> included)
    {
        var before = included.ToDictionary(n => n, _ => new HashSet<TargetNode>());
        foreach (var node in included)
        {
            foreach (var dep in node.Dependencies.Concat(node.OrderedAfter).Where(included.Contains))
            {
                before[node].Add(dep);
            }
        }
        // A trigger runs after the target that triggers it.
        foreach (var node in included)
        {
            foreach (var triggered in node.Triggers.Where(included.Contains))
            {
                before[triggered].Add(node);
            }
        }

        var result = new List<TargetNode>();
        var ready = new SortedSet<TargetNode>(Comparer<TargetNode>.Create((a, b) => a.DeclarationIndex.CompareTo(b.DeclarationIndex)));
        foreach (var (node, deps) in before)
        {
            if (deps.Count == 0)
            {
                ready.Add(node);
            }
        }

        while (ready.Count > 0)
        {
            var next = ready.Min!;
            ready.Remove(next);
            result.Add(next);
            foreach (var (node, deps) in before)
            {
                if (deps.Remove(next) && deps.Count == 0)
                {
                    ready.Add(node);
                }
            }
        }

        if (result.Count != included.Count)
        {
            var cycle = included.Except(result).Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal);
            throw new BuildConfigurationException($"The targets {string.Join(", ", cycle)} depend on each other in a cycle.");
        }
        return result;
    }
}
