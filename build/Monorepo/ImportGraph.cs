namespace AgentSystem.Build.Monorepo;

/// <summary>A file a project takes through an Import, and the file that imports it.</summary>
public sealed record ImportedFile(string Path, string ImportedBy);

/// <summary>
/// The MSBuild files that projects import: the nearest Directory.Build.props and Directory.Build.targets above each
/// project (MSBuild takes only the nearest; it reaches further up only when that file imports the one above), and
/// whatever those and the projects import, transitively. Each file is read once.
/// </summary>
internal sealed class ImportGraph
{
    public const string BuildProps = "Directory.Build.props";
    public const string BuildTargets = "Directory.Build.targets";
    public const string PackagesProps = "Directory.Packages.props";

    private readonly IReadOnlyList<string> _files;
    private readonly IReadOnlyList<string> _rootSpellings;
    private readonly Func<string, string?> _read;
    private readonly Func<string, bool> _exists;
    private readonly Dictionary<string, MsBuildFile?> _parsed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Closure> _closures = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Directory, string Name), string?> _nearest = [];
    private readonly Dictionary<(string?, string?), FolderImports> _folderImports = [];
    private readonly HashSet<string> _wellKnown;

    /// <summary>What one file brings in: files by path, files by pattern, and imports whose path cannot be read.</summary>
    public sealed record Closure(IReadOnlyList<ImportedFile> Files, IReadOnlyList<(Glob Pattern, string ImportedBy)> Patterns, IReadOnlyList<(string Written, string In)> Unknown)
    {
        public static readonly Closure Empty = new([], [], []);
    }

    /// <param name="files">Every file of the repository (for imports written as globs).</param>
    /// <param name="wellKnown">The Directory.Build.props/.targets and Directory.Packages.props files that exist.</param>
    /// <param name="read">Reads a repository file's text (from the work tree, or from a commit); null when absent.</param>
    public ImportGraph(string root, IReadOnlyList<string> files, IEnumerable<string> wellKnown, Func<string, string?>? read = null)
    {
        _files = files;
        _wellKnown = new HashSet<string>(wellKnown, StringComparer.Ordinal);
        _rootSpellings = RootSpellings(root);
        _read = read ?? (path => File.Exists(Path.Combine(root, path)) ? File.ReadAllText(Path.Combine(root, path)) : null);
        _exists = read is null ? path => File.Exists(Path.Combine(root, path)) : path => read(path) is not null;
    }

    /// <summary>The repository's path as given, and its real path when a symbolic link leads to it.</summary>
    public static IReadOnlyList<string> RootSpellings(string root)
    {
        var full = Path.GetFullPath(root);
        var real = Path.GetPathRoot(full)!;
        foreach (var part in full[real.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            real = Path.Combine(real, part);
            if (new DirectoryInfo(real).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                real = target.FullName;
            }
        }
        return real == full ? [full] : [full, real];
    }

    /// <summary>Every file read so far.</summary>
    public IEnumerable<MsBuildFile> Parsed => _parsed.Values.OfType<MsBuildFile>();

    /// <summary>The file, read and parsed once; null when it is absent or not MSBuild XML.</summary>
    public MsBuildFile? Get(string path)
    {
        if (_parsed.TryGetValue(path, out var file))
        {
            return file;
        }

        MsBuildFile? parsed = null;
        if (_read(path) is { } text)
        {
            try { parsed = MsBuildFile.Parse(text, path, withOtherContent: true); }
            catch (InvalidDataException) { /* not XML: imported as nothing we can read; its importers still take it as a file */ }
        }
        return _parsed[path] = parsed;
    }

    /// <summary>The nearest file called <paramref name="name"/> in <paramref name="directory"/> or a folder above it, among the well-known files.</summary>
    public string? Nearest(string directory, string name)
    {
        if (_nearest.TryGetValue((directory, name), out var found))
        {
            return found;
        }

        var candidate = PathUtil.Combine(directory, name);
        found = _wellKnown.Contains(candidate) ? candidate : directory.Length == 0 ? null : Nearest(PathUtil.DirectoryOf(directory), name);
        return _nearest[(directory, name)] = found;
    }

    /// <summary>$([MSBuild]::GetPathOfFileAbove()): the nearest file by that name, on disk, in the folder or above it.</summary>
    public string? FileAbove(string directory, string name)
    {
        if (_wellKnown.Count > 0 && name is BuildProps or BuildTargets or PackagesProps)
        {
            return Nearest(directory, name);
        }

        for (var dir = directory; ; dir = PathUtil.DirectoryOf(dir))
        {
            var candidate = PathUtil.Combine(dir, name);
            if (_exists(candidate))
            {
                return candidate;
            }

            if (dir.Length == 0)
            {
                return null;
            }
        }
    }

    /// <summary>What every project in a folder imports by folder: the nearest Directory.Build.props and .targets, and their closures.</summary>
    public sealed record FolderImports(Closure Closure, IReadOnlySet<string> Packages, bool HasItems);

    public FolderImports DirectoryImports(string directory)
    {
        var key = (Nearest(directory, BuildProps), Nearest(directory, BuildTargets));
        if (_folderImports.TryGetValue(key, out var found))
        {
            return found;
        }

        var files = new List<ImportedFile>();
        var patterns = new List<(Glob, string)>();
        var unknown = new List<(string, string)>();
        foreach (var path in new[] { key.Item1, key.Item2 }.OfType<string>())
        {
            var closure = ClosureOf(path);
            files.Add(new ImportedFile(path, ""));
            files.AddRange(closure.Files);
            patterns.AddRange(closure.Patterns);
            unknown.AddRange(closure.Unknown);
        }
        var read = files.Select(f => Get(f.Path)).OfType<MsBuildFile>().ToList();
        var packages = read.SelectMany(f => f.CentralPackageReferences).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return _folderImports[key] = new FolderImports(new Closure(files, patterns, unknown), packages, read.Any(f => f.Items.Count > 0));
    }

    /// <summary>The context for paths written in a file many projects import.</summary>
    public PathContext SharedContext(string file) =>
        new(PathUtil.DirectoryOf(file), PathUtil.DirectoryOf(file), null, null, FileAbove, _rootSpellings);

    /// <summary>The context for paths written in a project file, or in a file seen from one project.</summary>
    public PathContext ProjectContext(string project, string writtenIn, bool isItem) =>
        new(PathUtil.DirectoryOf(writtenIn), isItem ? PathUtil.DirectoryOf(project) : PathUtil.DirectoryOf(writtenIn), PathUtil.DirectoryOf(project),
            Path.GetFileNameWithoutExtension(project), FileAbove, _rootSpellings);

    /// <summary>Everything <paramref name="path"/> imports, transitively (not the file itself).</summary>
    public Closure ClosureOf(string path)
    {
        if (_closures.TryGetValue(path, out var closure))
        {
            return closure;
        }

        _closures[path] = Closure.Empty; // an import cycle ends here
        var file = Get(path);
        return _closures[path] = file is null ? Closure.Empty : Expand(path, file.Imports, SharedContext(path));
    }

    /// <summary>Resolves imports written in <paramref name="writtenIn"/> and adds what each brings in.</summary>
    public Closure Expand(string writtenIn, IEnumerable<string> imports, PathContext context)
    {
        var files = new List<ImportedFile>();
        var patterns = new List<(Glob, string)>();
        var unknown = new List<(string, string)>();
        foreach (var written in imports)
        {
            var resolved = MsBuildPath.Resolve(written, context);
            if (resolved.Unknown)
            {
                unknown.Add((written, writtenIn));
            }

            foreach (var glob in resolved.Globs)
            {
                var targets = glob.IsLiteral ? [glob.Pattern] : _files.Where(f => glob.Matches(f, ignoreCase: true)).ToList();
                if (!glob.IsLiteral)
                {
                    patterns.Add((glob, writtenIn));
                }

                foreach (var target in targets)
                {
                    files.Add(new ImportedFile(target, writtenIn));
                    var inner = ClosureOf(target);
                    files.AddRange(inner.Files);
                    patterns.AddRange(inner.Patterns);
                    unknown.AddRange(inner.Unknown);
                }
            }
        }
        return new Closure(files, patterns, unknown);
    }
}
