using System.Text.Json;

namespace AgentSystem.Build.Monorepo;

public enum ProjectKind { Dotnet, Node }

/// <summary>A project read from its file alone: no MSBuild evaluation, so thousands load in well under a second.</summary>
public sealed record RepoProject(string Path, ProjectKind Kind, string Name, bool IsTest, IReadOnlyList<string> References)
{
    /// <summary>The folder that holds the project file ("" at the root).</summary>
    public string Directory => PathUtil.DirectoryOf(Path);
}

public enum UseKind
{
    /// <summary>A default item of a project in a folder above the file.</summary>
    Folder,
    /// <summary>An item that names the file or a glob that matches it (Detail: which, and where it is written).</summary>
    Item,
    /// <summary>An Import (Detail: the importing file).</summary>
    Import,
    /// <summary>The nearest Directory.Build.props or .targets above the project.</summary>
    DirectoryFile,
}

/// <summary>A project that takes a file as input, and how.</summary>
public sealed record FileUse(RepoProject Project, UseKind How, string Detail);

/// <summary>Every project in the repository, who references whom, and what each takes as input.</summary>
public sealed class ProjectGraph
{
    private readonly Dictionary<string, RepoProject> _byPath;
    private readonly Dictionary<string, List<RepoProject>> _byDirectory;
    private readonly Dictionary<string, List<RepoProject>> _dependents = new(StringComparer.Ordinal);
    private readonly List<(Glob Pattern, RepoProject Project)> _referencePatterns;
    private readonly Dictionary<string, (MsBuildFile File, ProjectInputs Inputs)> _msbuild = new(StringComparer.Ordinal);
    private readonly List<RepoProject> _includingOutside = [];

    public IReadOnlyList<RepoProject> Projects { get; }

    /// <summary>The Directory.Build.props/.targets and Directory.Packages.props files, and what they import, as read now.</summary>
    internal ImportGraph Imports { get; }

    /// <summary>Some project or file they import turns on CentralPackageTransitivePinningEnabled.</summary>
    public bool PinsTransitively { get; }

    private ProjectGraph(IReadOnlyList<(RepoProject Project, MsBuildFile? File)> read, ImportGraph imports, IReadOnlyList<string> projectFiles)
    {
        Imports = imports;
        var projects = new List<RepoProject>();
        var referencePatterns = new List<(Glob, string)>();
        foreach (var (asRead, file) in read)
        {
            var project = asRead;
            if (file is not null)
            {
                var inputs = ProjectInputs.For(project, file, imports);
                _msbuild[project.Path] = (file, inputs);
                project = project with { References = References(project, file, inputs, imports, projectFiles, referencePatterns) };
            }
            projects.Add(project);
        }
        Projects = projects;
        _byPath = Projects.ToDictionary(p => p.Path, StringComparer.Ordinal);
        _byDirectory = Projects.GroupBy(p => p.Directory, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        _referencePatterns = referencePatterns.Select(r => (r.Item1, _byPath[r.Item2])).ToList();
        foreach (var project in Projects)
        {
            foreach (var reference in project.References)
            {
                Add(_dependents, reference, project);
            }

            if (!_msbuild.TryGetValue(project.Path, out var m))
            {
                continue;
            }

            if (m.Inputs.IncludesOutsideFolder)
            {
                _includingOutside.Add(project);
            }

            PinsTransitively |= m.File.PinsTransitively;
        }
        PinsTransitively |= imports.Parsed.Any(f => f.PinsTransitively);
    }

    private static FileUse Use(RepoProject project, string importedBy) =>
        importedBy.Length == 0 ? new FileUse(project, UseKind.DirectoryFile, "") : new FileUse(project, UseKind.Import, importedBy);

    /// <summary>ProjectReferences of the project and of the files it imports (a Directory.Build.props may add one to all).</summary>
    private static List<string> References(RepoProject project, MsBuildFile file, ProjectInputs inputs, ImportGraph imports,
        IReadOnlyList<string> projectFiles, List<(Glob, string)> patterns)
    {
        var references = new List<string>();
        var written = file.ProjectReferences.Select(r => (Value: r, In: project.Path))
            .Concat(inputs.Imports.Files.SelectMany(f => (imports.Get(f.Path)?.ProjectReferences ?? []).Select(r => (Value: r, In: f.Path))));
        PathContext? context = null;
        foreach (var (value, writtenIn) in written)
        {
            if (context?.ThisFileDirectory != PathUtil.DirectoryOf(writtenIn))
            {
                context = imports.ProjectContext(project.Path, writtenIn, isItem: true);
            }

            foreach (var glob in MsBuildPath.Resolve(value, context).Globs)
            {
                if (glob.IsLiteral) { references.Add(glob.Pattern); continue; }
                patterns.Add((glob, project.Path));
                references.AddRange(projectFiles.Where(p => glob.Matches(p, ignoreCase: true)));
            }
        }
        return references.Distinct(StringComparer.Ordinal).Where(r => r != project.Path).ToList();
    }

    public RepoProject? Find(string path) => _byPath.GetValueOrDefault(path);

    /// <summary><paramref name="path"/> and every project it references, directly or not, in path order.</summary>
    public IReadOnlyList<string> ReferenceClosure(string path)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([path]);
        while (pending.TryPop(out var project))
        {
            if (closure.Add(project))
            {
                foreach (var reference in Find(project)?.References ?? throw new InvalidOperationException($"{project} is not in the project graph."))
                {
                    pending.Push(reference);
                }
            }
        }

        return [.. closure.Order(StringComparer.Ordinal)];
    }

    /// <summary>Projects whose file (or a file they import) references <paramref name="path"/>.</summary>
    public IReadOnlyList<RepoProject> DependentsOf(string path) => _dependents.GetValueOrDefault(path) ?? [];

    /// <summary>Projects that reference <paramref name="path"/>, by its path or by a glob; it need not exist any more.</summary>
    public IEnumerable<RepoProject> ReferencesTo(string path) =>
        DependentsOf(path).Concat(_referencePatterns.Where(r => r.Pattern.Matches(path, ignoreCase: true)).Select(r => r.Project)).Distinct();

    /// <summary>Package ids <paramref name="project"/> (or a file it imports) references with a central version.</summary>
    public IReadOnlySet<string> PackagesOf(RepoProject project) => _msbuild.TryGetValue(project.Path, out var m) ? m.Inputs.Packages : new HashSet<string>();

    /// <summary>
    /// The projects that take <paramref name="file"/> as an input: .NET projects in a folder above it (default globs,
    /// less what they Remove), projects whose items reach it from elsewhere, projects importing it (directly, or through
    /// Directory.Build.props and what that imports), and the node package whose folder holds it.
    /// </summary>
    /// <param name="removedBy">When a project in a folder above would take the file but removes it: which Remove.</param>
    public IReadOnlyList<FileUse> UsesOf(string file, out string? removedBy)
    {
        removedBy = null;
        var uses = new List<FileUse>();
        var nodeFound = false;
        for (var dir = PathUtil.DirectoryOf(file); ; dir = PathUtil.DirectoryOf(dir))
        {
            foreach (var project in _byDirectory.GetValueOrDefault(dir) ?? [])
            {
                if (project.Kind == ProjectKind.Node)
                {
                    if (!nodeFound)
                    {
                        uses.Add(new FileUse(project, UseKind.Folder, ""));
                    }

                    nodeFound = true;
                }
                else if (_msbuild.TryGetValue(project.Path, out var m))
                {
                    if (m.Inputs.Takes(project, m.File, file, out var removed) is { } why)
                    {
                        uses.Add(Taken(project, why));
                    }
                    else
                    {
                        removedBy ??= removed;
                    }
                }
            }
            if (dir.Length == 0)
            {
                break;
            }
        }
        foreach (var project in _includingOutside)
        {
            if (PathUtil.IsUnder(file, project.Directory))
            {
                continue;
            }

            var (projectFile, inputs) = _msbuild[project.Path];
            if (inputs.Takes(project, projectFile, file, out _) is { } why)
            {
                uses.Add(Taken(project, why));
            }
        }
        uses.AddRange(ImportersOf(file));
        if (uses.Count > 0)
        {
            removedBy = null;
        }

        return uses.DistinctBy(u => u.Project).ToList();
    }

    private static FileUse Taken(RepoProject project, string why) => why.Length == 0 ? new FileUse(project, UseKind.Folder, "") : new FileUse(project, UseKind.Item, why);

    /// <summary>Projects with an import whose path is a property that cannot be read: any .props or .targets may be it.</summary>
    public IEnumerable<(RepoProject Project, string Written, string In)> UnknownImports =>
        Projects.Where(p => _msbuild.ContainsKey(p.Path)).SelectMany(p => _msbuild[p.Path].Inputs.Imports.Unknown.Select(u => (p, u.Written, u.In)));

    /// <summary>
    /// The projects that import <paramref name="file"/>. Asked only for changed files, so it looks through the projects'
    /// closures (many share one: those of a folder) rather than keeping an index of every import.
    /// </summary>
    public IEnumerable<FileUse> ImportersOf(string file)
    {
        var importedBy = new Dictionary<ImportGraph.Closure, string?>();
        foreach (var project in Projects)
        {
            if (!_msbuild.TryGetValue(project.Path, out var m))
            {
                continue;
            }

            var closure = m.Inputs.Imports;
            if (!importedBy.TryGetValue(closure, out var by))
            {
                by = closure.Files.FirstOrDefault(f => f.Path == file)?.ImportedBy
                     ?? closure.Patterns.FirstOrDefault(p => p.Pattern.Matches(file, ignoreCase: true)).ImportedBy;
                importedBy[closure] = by;
            }
            if (by is not null)
            {
                yield return Use(project, by);
            }
        }
    }

    public IEnumerable<RepoProject> Below(string directory, ProjectKind kind) =>
        Projects.Where(p => p.Kind == kind && PathUtil.IsUnder(p.Path, directory));

    public static bool IsProjectFile(string path) =>
        path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase) || IsNodePackage(path);

    private static bool IsNodePackage(string path) => PathUtil.FileName(path) == "package.json" && !path.Contains("node_modules/", StringComparison.Ordinal);

    public static bool IsWellKnownMsBuildFile(string path) =>
        PathUtil.FileName(path) is ImportGraph.BuildProps or ImportGraph.BuildTargets or ImportGraph.PackagesProps;

    /// <summary>Reads every project file among <paramref name="files"/> in parallel, then the files they import.</summary>
    /// <param name="cache">Project files parsed by earlier runs; each is still checked against the file on disk.</param>
    internal static ProjectGraph Load(string root, IReadOnlyList<string> files, ProjectFileCache? cache)
    {
        var projectFiles = new List<string>();
        var wellKnown = new List<string>();
        foreach (var file in files)
        {
            if (IsProjectFile(file))
            {
                projectFiles.Add(file);
            }
            else if (IsWellKnownMsBuildFile(file))
            {
                wellKnown.Add(file);
            }
        }
        var read = new (RepoProject Project, MsBuildFile? File)[projectFiles.Count];
        // One worker per core: more only spin and contend for the disk on a busy machine.
        Parallel.For(0, projectFiles.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var path = projectFiles[i];
            var fullPath = System.IO.Path.Combine(root, path);
            // Still in the index but gone from the work tree (moved or deleted, not yet staged): not a project now.
            if (IsNodePackage(path))
            {
                if (File.Exists(fullPath))
                {
                    read[i] = (ReadNodePackage(fullPath, path), null);
                }
            }
            else if ((cache is null ? MsBuildFile.Read(fullPath, path) : cache.Read(fullPath, path)) is { } file)
            {
                read[i] = (new RepoProject(path, ProjectKind.Dotnet, System.IO.Path.GetFileNameWithoutExtension(path), file.IsTest, []), file);
            }
        });
        var imports = new ImportGraph(root, files, wellKnown.Where(f => File.Exists(System.IO.Path.Combine(root, f))));
        return new ProjectGraph(read.Where(r => r.Project is not null).ToList(), imports, projectFiles);
    }

    /// <inheritdoc cref="Load(string, IReadOnlyList{string}, ProjectFileCache?)"/>
    public static ProjectGraph Load(string root, IReadOnlyList<string> files) => Load(root, files, cache: null);

    private static RepoProject ReadNodePackage(string fullPath, string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(fullPath));
        var rootElement = document.RootElement;
        var name = rootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : PathUtil.FileName(PathUtil.DirectoryOf(path));
        var references = new List<string>();
        var directory = PathUtil.DirectoryOf(path);
        foreach (var section in new[] { "dependencies", "devDependencies" })
        {
            if (!rootElement.TryGetProperty(section, out var dependencies) || dependencies.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var dependency in dependencies.EnumerateObject())
            {
                // Local packages ("file:../shared-ui") are the node counterpart of a ProjectReference.
                if (dependency.Value.GetString() is { } spec && spec.StartsWith("file:", StringComparison.Ordinal)
                    && PathUtil.Normalize(PathUtil.Combine(directory, PathUtil.Combine(spec[5..], "package.json"))) is { } resolved)
                {
                    references.Add(resolved);
                }
            }
        }
        return new RepoProject(path, ProjectKind.Node, name, IsTest: false, references);
    }

    private static void Add<T>(Dictionary<string, List<T>> index, string key, T value)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }

        list.Add(value);
    }
}
