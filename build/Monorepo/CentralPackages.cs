namespace AgentSystem.Build.Monorepo;

/// <summary>
/// Which projects a change to central package versions affects. Each .NET project takes its versions from the nearest
/// Directory.Packages.props above it (and what that imports, such as the one further up); the versions it resolves
/// before and after the change are compared, package by package, and the project is affected when one it references
/// (itself, through a file it imports, or as a GlobalPackageReference) changed. Its dependents follow as usual.
/// </summary>
internal static class CentralPackages
{
    /// <summary>The projects a package change reaches, with why; or why the change cannot be decided statically.</summary>
    public sealed record Effect(IReadOnlyList<(RepoProject Project, string Label)> Projects, string? Undecidable);

    /// <summary>The changed files that bear on central package versions: any Directory.Packages.props, and what one imports.</summary>
    public static List<string> Related(ProjectGraph graph, IReadOnlyList<string> changed)
    {
        var imported = graph.Projects
            .Select(p => graph.Imports.Nearest(p.Directory, ImportGraph.PackagesProps)).OfType<string>().Distinct(StringComparer.Ordinal)
            .SelectMany(p => graph.Imports.ClosureOf(p).Files.Select(f => f.Path)).ToHashSet(StringComparer.Ordinal);
        return changed.Where(f => PathUtil.FileName(f) == ImportGraph.PackagesProps || imported.Contains(f)).ToList();
    }

    /// <param name="files">Every file of the repository now.</param>
    /// <param name="readAtBase">A file's text at the base commit; null when it did not exist there.</param>
    public static Effect Analyze(string root, ProjectGraph graph, IReadOnlyList<string> files, IReadOnlyList<string> changed, Func<string, string?> readAtBase)
    {
        var changedSet = changed.ToHashSet(StringComparer.Ordinal);
        var now = graph.Imports;
        string? ReadNow(string path) => File.Exists(Path.Combine(root, path)) ? File.ReadAllText(Path.Combine(root, path)) : null;
        // Deleted and staged, a file is no longer listed, yet it was there at the base: the changed files name it.
        var baseWellKnown = files.Concat(changed).Distinct(StringComparer.Ordinal).Where(ProjectGraph.IsWellKnownMsBuildFile)
            .Where(f => changedSet.Contains(f) ? readAtBase(f) is not null : File.Exists(Path.Combine(root, f)));
        var atBase = new ImportGraph(root, files, baseWellKnown, path => changedSet.Contains(path) ? readAtBase(path) : ReadNow(path));

        var results = new List<(RepoProject, string)>();
        var groups = new Dictionary<(string?, string?), Diff?>();
        foreach (var project in graph.Projects.Where(p => p.Kind == ProjectKind.Dotnet))
        {
            var key = (atBase.Nearest(project.Directory, ImportGraph.PackagesProps), now.Nearest(project.Directory, ImportGraph.PackagesProps));
            if (!groups.TryGetValue(key, out var diff))
            {
                groups[key] = diff = Compare(key.Item1, atBase, key.Item2, now, changedSet);
            }

            if (diff is null)
            {
                continue;
            }

            if (diff.Undecidable is not null)
            {
                return new Effect([], diff.Undecidable);
            }

            if (diff.Changed.Count > 0 && (graph.PinsTransitively || diff.PinsTransitively))
            {
                return new Effect([], $"{diff.File}: {diff.Changed[0].Label} with CentralPackageTransitivePinningEnabled, so it can reach projects through other packages, which a static reading cannot follow");
            }

            var packages = graph.PackagesOf(project);
            if (diff.Changed.FirstOrDefault(c => c.Global || packages.Contains(c.Name)) is { } hit)
            {
                results.Add((project, $"{diff.File}: {hit.Label}"));
            }
        }
        return new Effect(results, null);
    }

    private sealed record Change(string Name, string Label, bool Global);

    private sealed record Diff(string File, IReadOnlyList<Change> Changed, string? Undecidable, bool PinsTransitively = false);

    /// <summary>Compares what two central package files resolve to; null when neither they nor what they import changed.</summary>
    private static Diff? Compare(string? basePath, ImportGraph atBase, string? nowPath, ImportGraph now, HashSet<string> changed)
    {
        var before = Resolve(basePath, atBase);
        var after = Resolve(nowPath, now);
        var touched = before.Files.Concat(after.Files).FirstOrDefault(changed.Contains);
        if (basePath == nowPath && touched is null)
        {
            return null;
        }

        var file = touched ?? nowPath ?? basePath!;

        if (before.Other != after.Other)
        {
            return new Diff(file, [], $"{file}: changed beyond PackageVersion items (properties, conditions, imports or targets), which a static reading cannot decide");
        }

        var names = before.Entries.Keys.Union(after.Entries.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase);
        var changes = new List<Change>();
        foreach (var name in names)
        {
            var old = before.Entries.GetValueOrDefault(name) ?? [];
            var @new = after.Entries.GetValueOrDefault(name) ?? [];
            var (oldVersion, newVersion) = (Effective(old), Effective(@new));
            if (oldVersion == newVersion)
            {
                continue;
            }

            if (old.Concat(@new).FirstOrDefault(e => e.Undecidable) is { } undecidable)
            {
                var what = undecidable.Condition is not null ? $"is conditional ({undecidable.Condition})" : "is written with a property or a wildcard";
                return new Diff(file, [], $"{file}: the version of {name} {what}, which a static reading cannot decide");
            }
            changes.Add(new Change(name, $"{name} {oldVersion} to {newVersion}", old.Concat(@new).Any(e => e.Kind == "GlobalPackageReference")));
        }
        return new Diff(file, changes, null, before.Pins || after.Pins);
    }

    /// <summary>
    /// The version a package ends with, the entries applied in order (Include sets it, Update changes it, Remove drops
    /// it); entries a static reading cannot fold are kept as written, so any change to them shows.
    /// </summary>
    private static string Effective(List<PackageVersionEntry> entries)
    {
        if (entries.Any(e => e.Undecidable))
        {
            return string.Join("; ", entries.Select(e => $"{e.Operation} {e}"));
        }

        PackageVersionEntry? current = null;
        foreach (var entry in entries)
        {
            current = entry.Operation switch
            {
                "Include" => entry,
                "Update" => current is null ? null : entry with { Kind = current.Kind },
                _ => null,
            };
        }
        return current?.ToString() ?? "(none)";
    }

    private sealed record Resolved(IReadOnlyList<string> Files, Dictionary<string, List<PackageVersionEntry>> Entries, string Other, bool Pins);

    /// <summary>The entries a central package file and its imports declare, by package, and everything else they say.</summary>
    private static Resolved Resolve(string? path, ImportGraph graph)
    {
        var entries = new Dictionary<string, List<PackageVersionEntry>>(StringComparer.OrdinalIgnoreCase);
        if (path is null)
        {
            return new Resolved([], entries, "", false);
        }

        var closure = graph.ClosureOf(path);
        // Imports usually come first in the file (a nested file imports the one above, then overrides it).
        var files = closure.Files.Select(f => f.Path).Append(path).Distinct(StringComparer.Ordinal).ToList();
        var other = string.Join("", closure.Unknown.Select(u => $"<Import {u.Written}>\n"));
        var pins = false;
        foreach (var file in files.Select(graph.Get).OfType<MsBuildFile>())
        {
            other += file.OtherContent;
            pins |= file.PinsTransitively;
            foreach (var entry in file.PackageVersions)
            {
                if (!entries.TryGetValue(entry.Name, out var list))
                {
                    entries[entry.Name] = list = [];
                }

                list.Add(entry);
            }
        }
        return new Resolved(files, entries, other, pins);
    }
}
