using System.Text.RegularExpressions;
using AgentSystem.Build.Engine;
using AgentSystem.Contracts;

namespace AgentSystem.Build.Monorepo;

/// <summary>
/// Maps the files changed since a base commit to projects and services, following ProjectReferences to dependents,
/// and explains each pick as a chain ("services/shared/X.cs -> Shared -> Orchestrator").
/// </summary>
public sealed partial class AffectedDetector(string root)
{
    private const int MaxReasonsPerService = 5;
    private readonly Git _git = new(root);

    /// <param name="baseRef">The ref whose merge-base with HEAD is compared with; null for origin/main's (else main's).</param>
    /// <param name="baseGivenAs">How messages name where <paramref name="baseRef"/> came from ("environment variable BASE").</param>
    public AffectedResult Detect(string? baseRef, bool all, string baseGivenAs = "--base")
    {
        // git finds the base and the changes in its own processes while this one lists and reads the projects.
        var changes = all ? null : Task.Run(() =>
        {
            var found = ResolveBase(baseRef, baseGivenAs);
            return (Base: found, Changed: found.Commit is null ? [] : _git.ChangedSince(found.Commit));
        });
        var (files, untracked) = _git.ListFiles();
        var catalog = ServiceCatalog.Load(root, files);
        var cache = ProjectFileCache.Open(Path.Combine(root, ".nuke", "temp", "affected"));
        var graph = ProjectGraph.Load(root, files, cache);
        cache.Save();
        if (changes is null)
        {
            return Everything(catalog, graph, null, null, "--all: everything selected");
        }

        var ((baseCommit, description, noBaseReason), diff) = changes.GetAwaiter().GetResult();
        if (baseCommit is null)
        {
            return Everything(catalog, graph, null, null, noBaseReason!);
        }

        var changed = diff.Concat(untracked).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return Classify(catalog, graph, changed, root, files, path => _git.Show(baseCommit, path)) with { Base = baseCommit, BaseDescription = description };
    }

    private (string? Commit, string? Description, string? NoBaseReason) ResolveBase(string? baseRef, string givenAs)
    {
        if (baseRef is not null)
        {
            // An option reads as typed; an environment variable (a shell may have set BASE for something else) by name.
            var named = givenAs.StartsWith("--", StringComparison.Ordinal) && baseRef.Trim().Length > 0 ? $"{givenAs} {baseRef}" : $"{givenAs} ('{baseRef}')";
            var commit = _git.ResolveCommit(baseRef);
            if (commit is not null)
            {
                // Where HEAD left it, as for the default base: given a branch that moved on since (--base origin/main on a
                // feature branch), its own new commits are not this change's (helper-126). Without a common commit here
                // (a shallow clone), the commit itself.
                var mergeBase = _git.MergeBase("HEAD", commit).Commit;
                return mergeBase is null || mergeBase == commit ? (commit, named, null) : (mergeBase, $"merge-base of HEAD and {named}", null);
            }

            // A commit id the clone lacks is what CI passes after a force push (the commit before it is gone) or for a
            // new branch (all zeros): everything is the right answer there. A name that resolves to nothing is a typo,
            // and a full build would hide it.
            if (baseRef.Trim().Length > 0 && !CommitId().IsMatch(baseRef))
            {
                throw new UsageException($"{named} names no branch, tag or commit in this clone.{Suggestions.DidYouMean(baseRef, _git.RefNames())} (git branch -a lists the branches.)");
            }

            return (null, null, $"{named} names no commit in this clone{(_git.IsShallow() ? " (a shallow clone: fetch more history)" : "")}: everything selected");
        }
        foreach (var candidate in new[] { "origin/main", "main" })
        {
            var (mergeBase, noSuchCommit) = _git.MergeBase("HEAD", candidate);
            if (mergeBase is not null)
            {
                return (mergeBase, $"merge-base of HEAD and {candidate}", null);
            }

            if (noSuchCommit)
            {
                continue;
            }

            if (_git.IsShallow())
            {
                return (null, null, $"shallow clone: HEAD and {candidate} share no commit here (fetch full history, e.g. fetch-depth: 0, or pass --base): everything selected");
            }
        }
        if (_git.ResolveCommit("HEAD") is null)
        {
            return (null, null, "no commit yet to compare with: everything selected");
        }

        return (null, null, "no base found (no origin/main or main with a common commit; pass --base REF): everything selected");
    }

    [GeneratedRegex("^[0-9a-fA-F]{7,64}$")]
    private static partial Regex CommitId();

    private static AffectedResult Everything(ServiceCatalog catalog, ProjectGraph graph, string? baseCommit, IReadOnlyList<string>? changed, string reason) => new()
    {
        Base = baseCommit,
        All = true,
        AllReason = reason,
        Services = catalog.Services.Select(s => new AffectedService(s.Name, [reason])).ToList(),
        Projects = graph.Projects.Select(p => p.Path).Order(StringComparer.Ordinal).ToList(),
        TestProjects = graph.Projects.Where(p => p.IsTest).Select(p => p.Path).Order(StringComparer.Ordinal).ToList(),
        ChangedFiles = changed ?? [],
        Catalog = catalog,
        Graph = graph,
    };

    /// <summary>Decides, file by file, what each change affects. Public so the rules can be tested without git.</summary>
    /// <param name="files">Every file of the repository (for central package files); the graph's files when null.</param>
    /// <param name="readAtBase">A file's text at the base commit (null when absent there), to compare central package versions.</param>
    public static AffectedResult Classify(ServiceCatalog catalog, ProjectGraph graph, IReadOnlyList<string> changed,
        string? root = null, IReadOnlyList<string>? files = null, Func<string, string?>? readAtBase = null)
    {
        var origins = new Dictionary<string, Origin>(StringComparer.Ordinal);
        var serviceReasons = catalog.Services.ToDictionary(s => s.Name, _ => new List<string>());
        var ignored = new List<(string, string)>();
        var globalReasons = new List<string>();
        var packageFiles = CentralPackages.Related(graph, changed);

        foreach (var file in changed)
        {
            if (AffectedRules.IsDocumentation(file))
            {
                // Prose selects nothing, but a test that checks it (the README's tables against the build) lists it as an item.
                var readers = ItemUsesOf(graph, file);
                if (readers.Count > 0)
                {
                    AddUses(origins, file, readers, file);
                }
                else
                {
                    ignored.Add((file, "documentation"));
                }

                continue;
            }
            if (AffectedRules.IsGlobalInput(file)) { globalReasons.Add($"{file}: global input, affects everything"); continue; }
            if (PathUtil.FileName(file) == ImportGraph.PackagesProps)
            {
                continue; // decided below, package by package
            }

            if (AffectedRules.IsDirectoryWideMsBuildInput(file))
            {
                var folder = PathUtil.DirectoryOf(file);
                var below = $"the .NET projects below {(folder.Length == 0 ? "the root" : folder + "/")}";
                // Directory.Build.props/.targets reach the projects that import them (the nearest one, or one above it that
                // it imports); one deleted reached, before, projects below its folder; .editorconfig and the rest apply by folder.
                var importers = graph.ImportersOf(file).ToList();
                if (PathUtil.FileName(file) is ImportGraph.BuildProps or ImportGraph.BuildTargets && (importers.Count > 0 || Exists(root, file)))
                {
                    AddUses(origins, file, importers, $"{file} (applies to {below})");
                    continue;
                }
                AddOrigin(origins, file, $"{file} ({(Exists(root, file) ? "applies to" : "deleted; it applied to")} {below})", graph.Below(folder, ProjectKind.Dotnet));
                continue;
            }
            // An image definition or a manifest also selects the projects that name it as an item (tests that read it); the
            // service's own project, whose folder holds its Dockerfile, is selected already.
            if (ServiceInputOf(catalog, file) is { } input)
            {
                serviceReasons[input.Service.Name].Add($"{file}: {input.What}");
                AddUses(origins, file, ItemUsesOf(graph, file), file);
                continue;
            }
            if (file == AffectedRules.BuildContextIgnoreFile)
            {
                foreach (var service in catalog.Services.Where(s => s.Dockerfile is not null))
                {
                    serviceReasons[service.Name].Add($"{file}: what every image's build context leaves out");
                }

                AddUses(origins, file, ItemUsesOf(graph, file), file);
                continue;
            }
            if (AffectedRules.IsManifest(file))
            {
                foreach (var reasons in serviceReasons.Values)
                {
                    reasons.Add($"{file}: manifest shared by every service");
                }

                AddUses(origins, file, ItemUsesOf(graph, file), file);
                continue;
            }

            var uses = graph.UsesOf(file, out var removedBy);
            AddUses(origins, file, uses, file);
            // A project file gone while others still reference it breaks their build.
            var referencing = ProjectGraph.IsProjectFile(file) && graph.Find(file) is null ? graph.ReferencesTo(file).ToList() : [];
            if (referencing.Count > 0)
            {
                AddOrigin(origins, file, $"{file} (deleted, still referenced)", referencing);
            }

            if (uses.Count > 0 || referencing.Count > 0)
            {
                continue;
            }

            // An import whose path is a property we cannot read may name any .props or .targets file.
            var unknown = IsMsBuildFile(file) ? graph.UnknownImports.ToList() : [];
            foreach (var (project, written, where) in unknown)
            {
                AddOrigin(origins, $"{file}|{written}|{where}", $"{file} (may be imported through {written} in {where})", [project]);
            }

            if (unknown.Count > 0 || packageFiles.Contains(file))
            {
                continue;
            }

            ignored.Add((file, removedBy is null ? "no project owns it" : $"removed from its project by {removedBy}"));
        }

        if (globalReasons.Count == 0 && packageFiles.Count > 0)
        {
            var effect = readAtBase is null || root is null
                ? new CentralPackages.Effect([], $"{packageFiles[0]}: changed, and there is no base to compare package versions with")
                : CentralPackages.Analyze(root, graph, files ?? [.. graph.Projects.Select(p => p.Path)], changed, readAtBase);
            if (effect.Undecidable is { } why)
            {
                globalReasons.Add($"{why}: everything selected");
            }

            foreach (var (project, label) in effect.Projects)
            {
                AddOrigin(origins, $"{project.Path}|{label}", label, [project]);
            }

            if (effect.Projects.Count == 0 && effect.Undecidable is null)
            {
                foreach (var file in packageFiles)
                {
                    ignored.Add((file, "no project references a package whose version changed"));
                }
            }
        }

        if (globalReasons.Count > 0)
        {
            return Everything(catalog, graph, null, changed, globalReasons[0]) with
            {
                Services = catalog.Services.Select(s => new AffectedService(s.Name, globalReasons.Take(MaxReasonsPerService).ToList())).ToList(),
                Ignored = ignored,
            };
        }

        var chains = FollowDependents(graph, origins.Values);
        var projects = new HashSet<string>(chains.Keys, StringComparer.Ordinal);
        var services = new List<AffectedService>();
        foreach (var service in catalog.Services)
        {
            var reasons = serviceReasons[service.Name];
            if (chains.TryGetValue(service.Project, out var serviceChains))
            {
                reasons.InsertRange(0, serviceChains);
            }

            // A change to a test selects no service: it changes no image and no deploy. The test runs where the affected
            // projects outside every affected service's job do, CI's shared job (AffectedResult.SharedProjects).
            if (reasons.Count == 0)
            {
                continue;
            }

            // A selected service is compiled and tested whatever selected it.
            projects.Add(service.Project);
            foreach (var test in service.TestProjects(graph))
            {
                projects.Add(test.Path);
            }

            var distinct = reasons.Distinct(StringComparer.Ordinal).ToList();
            if (distinct.Count > MaxReasonsPerService)
            {
                distinct = [.. distinct.Take(MaxReasonsPerService), $"and {distinct.Count - MaxReasonsPerService} more"];
            }

            services.Add(new AffectedService(service.Name, distinct));
        }

        var affected = projects.Select(graph.Find).OfType<RepoProject>().OrderBy(p => p.Path, StringComparer.Ordinal).ToList();
        return new AffectedResult
        {
            Services = services,
            Projects = affected.Select(p => p.Path).ToList(),
            TestProjects = affected.Where(p => p.IsTest).Select(p => p.Path).ToList(),
            ChangedFiles = changed,
            Ignored = ignored,
            Catalog = catalog,
            Graph = graph,
        };
    }

    /// <summary>The projects that name <paramref name="file"/> as an item of theirs, not by a folder's default items.</summary>
    private static List<FileUse> ItemUsesOf(ProjectGraph graph, string file) =>
        [.. graph.UsesOf(file, out _).Where(use => use.How == UseKind.Item)];

    /// <summary>
    /// A service's own inputs outside its code: its Dockerfile (and BuildKit's ignore file for it, Dockerfile.dockerignore,
    /// which the context's .dockerignore gives way to) and its manifests.
    /// </summary>
    private static (ServiceEntry Service, string What)? ServiceInputOf(ServiceCatalog catalog, string file)
    {
        foreach (var service in catalog.Services)
        {
            if (service.Dockerfile is { } dockerfile &&
                (file == dockerfile || file == dockerfile + ".dockerignore"))
            {
                return (service, $"{service.Name}'s image definition");
            }

            if (service.Manifests is { } manifests && PathUtil.IsUnder(file, manifests))
            {
                return (service, $"{service.Name}'s Kubernetes manifests");
            }
        }
        foreach (var service in catalog.Services)
        {
            // Overlays name the service in a folder or file name: k8s/overlays/kind/gateway-patch.yaml.
            if (AffectedRules.IsManifest(file) && file.Split('/', '.', '-', '_').Contains(service.Name, StringComparer.OrdinalIgnoreCase))
            {
                return (service, $"{service.Name}'s Kubernetes manifests");
            }
        }
        return null;
    }

    private sealed record Origin(string Label, HashSet<RepoProject> Seeds)
    {
        public int ExtraFiles { get; set; }
        public string Display => ExtraFiles == 0 ? Label : $"{Label} (+{ExtraFiles} more file{(ExtraFiles == 1 ? "" : "s")})";
    }

    private static void AddOrigin(Dictionary<string, Origin> origins, string key, string label, IEnumerable<RepoProject> seeds)
    {
        if (origins.TryGetValue(key, out var existing))
        {
            existing.ExtraFiles++;
        }
        else
        {
            origins[key] = new Origin(label, [.. seeds]);
        }
    }

    /// <summary>One origin per way of taking the file, so files taken the same way by the same projects count as one.</summary>
    private static void AddUses(Dictionary<string, Origin> origins, string file, IEnumerable<FileUse> uses, string directLabel)
    {
        foreach (var use in uses.Where(u => u.How is UseKind.Folder or UseKind.Item))
        {
            var label = use.How == UseKind.Folder ? file : $"{file} -> {use.Detail}";
            AddOrigin(origins, $"{use.Project.Path}|{use.Detail}", label, [use.Project]);
        }
        foreach (var group in uses.Where(u => u.How is UseKind.Import or UseKind.DirectoryFile).GroupBy(u => u.Detail))
        {
            var label = group.Key.Length == 0 ? directLabel : $"{file} -> imported by {group.Key}";
            AddOrigin(origins, $"{file}|{group.Key}", label, group.Select(u => u.Project));
        }
    }

    private static bool Exists(string? root, string file) => root is null || File.Exists(Path.Combine(root, file));

    private static bool IsMsBuildFile(string file) =>
        Path.GetExtension(file).ToLowerInvariant() is ".props" or ".targets" or ".proj" or ".projitems";

    /// <summary>Breadth-first from each origin through dependents, so each chain is a shortest one.</summary>
    private static Dictionary<string, List<string>> FollowDependents(ProjectGraph graph, IEnumerable<Origin> origins)
    {
        var chains = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var origin in origins)
        {
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            var queue = new Queue<RepoProject>();
            foreach (var seed in origin.Seeds)
            {
                seen[seed.Path] = $"{origin.Display} -> {seed.Name}";
                queue.Enqueue(seed);
            }
            while (queue.Count > 0)
            {
                var project = queue.Dequeue();
                foreach (var dependent in graph.DependentsOf(project.Path))
                {
                    if (seen.ContainsKey(dependent.Path))
                    {
                        continue;
                    }

                    seen[dependent.Path] = $"{seen[project.Path]} -> {dependent.Name}";
                    queue.Enqueue(dependent);
                }
            }
            foreach (var (path, chain) in seen)
            {
                if (!chains.TryGetValue(path, out var list))
                {
                    chains[path] = list = [];
                }

                list.Add(chain);
            }
        }
        return chains;
    }
}
