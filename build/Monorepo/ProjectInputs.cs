namespace AgentSystem.Build.Monorepo;

/// <summary>An item Include or Remove resolved from one project's point of view.</summary>
internal sealed record ItemRule(string Type, bool IsRemove, IReadOnlyList<Glob> Globs, IReadOnlyList<Glob> Excludes, bool Conditional, string Written, string WrittenIn)
{
    public string Describe() =>
        $"{(IsRemove ? $"<{Type} Remove=\"{Written}\">" : Globs.Any(g => !g.IsLiteral) ? $"glob {Written}" : $"item {Written}")} in {PathUtil.FileName(WrittenIn)}";

    public bool Includes(string file) =>
        !IsRemove && Globs.Any(g => g.Matches(file, ignoreCase: true)) && !Excludes.Any(g => g.Matches(file, ignoreCase: false));

    /// <summary>Only an unconditional Remove is sure to take a file out.</summary>
    public bool Removes(string file) => IsRemove && !Conditional && Globs.Any(g => g.Matches(file, ignoreCase: false));
}

/// <summary>What one .NET project takes as input besides its ProjectReferences: items, imported files, central packages.</summary>
internal sealed class ProjectInputs
{
    public required IReadOnlyList<ItemRule> Items { get; init; }
    public required ImportGraph.Closure Imports { get; init; }
    /// <summary>Package ids the project, or a file it imports, references with a central version.</summary>
    public required IReadOnlySet<string> Packages { get; init; }
    /// <summary>Includes reaching outside the project's folder, so files there must be checked against this project.</summary>
    public required bool IncludesOutsideFolder { get; init; }

    public static ProjectInputs For(RepoProject project, MsBuildFile file, ImportGraph imports)
    {
        var byDirectory = imports.DirectoryImports(project.Directory);
        // Most projects import nothing themselves and the files they get by folder hold no items: share what the folder gives.
        if (file.Imports.Count == 0 && file.Items.Count == 0 && !byDirectory.HasItems)
        {
            return new ProjectInputs
            {
                Items = [],
                Imports = byDirectory.Closure,
                Packages = file.CentralPackageReferences.Count == 0 ? byDirectory.Packages : new HashSet<string>(byDirectory.Packages.Concat(file.CentralPackageReferences), StringComparer.OrdinalIgnoreCase),
                IncludesOutsideFolder = false,
            };
        }

        var own = imports.Expand(project.Path, file.Imports, imports.ProjectContext(project.Path, project.Path, isItem: false));
        var closure = new ImportGraph.Closure(
            [.. byDirectory.Closure.Files, .. own.Files], [.. byDirectory.Closure.Patterns, .. own.Patterns], [.. byDirectory.Closure.Unknown, .. own.Unknown]);

        // Imported files' items first (props come before the project body), then the project's own, in order.
        var items = new List<ItemRule>();
        var packages = new HashSet<string>(file.CentralPackageReferences, StringComparer.OrdinalIgnoreCase);
        foreach (var imported in closure.Files.DistinctBy(f => f.Path))
        {
            if (imports.Get(imported.Path) is not { } importedFile)
            {
                continue;
            }

            items.AddRange(Rules(project, importedFile, imports).Where(r => !r.IsRemove));
            packages.UnionWith(importedFile.CentralPackageReferences);
        }
        items.AddRange(Rules(project, file, imports));
        return new ProjectInputs
        {
            Items = items,
            Imports = closure,
            Packages = packages,
            IncludesOutsideFolder = items.Any(i => !i.IsRemove && i.Globs.Any(g => !PathUtil.IsUnder(g.Pattern, project.Directory) || g.Pattern.StartsWith("**", StringComparison.Ordinal))),
        };
    }

    private static IEnumerable<ItemRule> Rules(RepoProject project, MsBuildFile file, ImportGraph imports)
    {
        if (file.Items.Count == 0)
        {
            yield break;
        }

        var context = imports.ProjectContext(project.Path, file.Path, isItem: true);
        foreach (var item in file.Items)
        {
            var globs = MsBuildPath.Resolve(item.Value, context).Globs;
            if (globs.Count == 0)
            {
                continue;
            }

            var excludes = item.Exclude is null ? [] : MsBuildPath.Resolve(item.Exclude, context).Globs;
            yield return new ItemRule(item.Type, item.IsRemove, globs, excludes, item.Conditional, item.Value, file.Path);
        }
    }

    /// <summary>
    /// Why <paramref name="project"/> takes <paramref name="file"/> as an input ("" for a default item in its folder), or
    /// null when it does not; then <paramref name="removedBy"/> names the Remove that took it out, if one did.
    /// </summary>
    public string? Takes(RepoProject project, MsBuildFile projectFile, string file, out string? removedBy)
    {
        removedBy = null;
        if (file == project.Path)
        {
            return "";
        }

        var types = new List<string>();
        string? why = null;
        // SDK projects take every file below their folder through default globs; old-style projects list each file.
        if (PathUtil.IsUnder(file, project.Directory) && projectFile.Sdk is not null)
        {
            types.AddRange(DefaultItemTypes(project.Path, projectFile.Sdk, file[(project.Directory.Length == 0 ? 0 : project.Directory.Length + 1)..]));
            why = "";
        }
        foreach (var rule in Items)
        {
            if (rule.Includes(file))
            {
                if (types.Count == 0)
                {
                    why = rule.Describe();
                }

                types.Add(rule.Type);
            }
            else if (rule.Removes(file) && types.RemoveAll(t => t.Equals(rule.Type, StringComparison.OrdinalIgnoreCase)) > 0 && types.Count == 0)
            {
                removedBy = rule.Describe();
            }
        }
        if (types.Count > 0)
        {
            return why;
        }

        if (removedBy is null && PathUtil.IsUnder(file, project.Directory) && projectFile.Sdk is null)
        {
            removedBy = $"not an item of {PathUtil.FileName(project.Path)}, an old-style project that lists its files";
        }

        return null;
    }

    /// <summary>
    /// The item types the SDK's default globs put a file in. A Remove must take the file out of every one of them for it
    /// to stop being an input; Web SDK files that may be Content count as both None and Content.
    /// </summary>
    private static IEnumerable<string> DefaultItemTypes(string projectPath, string sdk, string relative)
    {
        var extension = Path.GetExtension(relative);
        var language = Path.GetExtension(projectPath).ToLowerInvariant() switch { ".csproj" => ".cs", ".vbproj" => ".vb", _ => null };
        if (language is not null && extension.Equals(language, StringComparison.OrdinalIgnoreCase))
        {
            return ["Compile"];
        }

        if (extension.Equals(".resx", StringComparison.OrdinalIgnoreCase))
        {
            return ["EmbeddedResource"];
        }

        var web = sdk.Contains(".Web", StringComparison.OrdinalIgnoreCase) || sdk.Contains("Razor", StringComparison.OrdinalIgnoreCase) || sdk.Contains("Blazor", StringComparison.OrdinalIgnoreCase);
        var content = web && (relative.StartsWith("wwwroot/", StringComparison.OrdinalIgnoreCase)
            || extension.ToLowerInvariant() is ".json" or ".config" or ".cshtml" or ".razor");
        return content ? ["None", "Content"] : ["None"];
    }
}
