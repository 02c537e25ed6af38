using System.Text.RegularExpressions;

namespace AgentSystem.Build.Monorepo;

/// <summary>Where a path written in an MSBuild file is read from; every directory is repository-relative ("" is the root).</summary>
/// <param name="ThisFileDirectory">The folder of the file the path is written in: $(MSBuildThisFileDirectory).</param>
/// <param name="BaseDirectory">What a plain relative path is relative to: the file's folder for an Import, the project's for an item.</param>
/// <param name="ProjectDirectory">$(MSBuildProjectDirectory), when one project is meant; null in a file many projects import.</param>
/// <param name="ProjectName">$(MSBuildProjectName), likewise.</param>
/// <param name="FileAbove">Finds a file by name in a folder or the nearest folder above it, as $([MSBuild]::GetPathOfFileAbove()) does.</param>
/// <param name="RootSpellings">The repository's absolute path, and its real path when reached through a symbolic link.</param>
public sealed record PathContext(
    string ThisFileDirectory,
    string BaseDirectory,
    string? ProjectDirectory,
    string? ProjectName,
    Func<string, string, string?> FileAbove,
    IReadOnlyList<string> RootSpellings);

/// <summary>What a written path became: patterns inside the repository, and whether part of it could not be read.</summary>
public sealed record ResolvedPath(IReadOnlyList<Glob> Globs, bool Unknown);

/// <summary>
/// Reads the paths MSBuild files write (Import Project, item Include/Exclude/Remove, ProjectReference) without
/// evaluating them: the few properties and property functions that name folders are worked out; any other property
/// leaves the path matched by the part written after it ("$(RepoRoot)eng/common.props" matches any "…/eng/common.props").
/// </summary>
public static partial class MsBuildPath
{
    /// <summary>Marks the start of a path that is already relative to the repository root.</summary>
    private const string RootMark = "\u0001/";

    /// <summary>Properties that point into the SDK, MSBuild or NuGet's package folder: never into the repository.</summary>
    private static readonly string[] OutsideProperties =
    [
        "$(MSBuildExtensionsPath", "$(MSBuildSDKsPath)", "$(MSBuildToolsPath)", "$(MSBuildBinPath)", "$(MSBuildFrameworkToolsPath",
        "$(NuGetPackageRoot)", "$(VSToolsPath)", "$(MSBuildProgramFiles32)", "$(NetCoreRoot)", "$(NetCoreTargetingPackRoot)",
        "$(CustomBeforeMicrosoft", "$(CustomAfterMicrosoft", "$(MSBuildUserExtensionsPath)",
    ];

    [GeneratedRegex(@"\$\(\[MSBuild\]::GetPathOfFileAbove\(\s*'?([^,')]+?)'?\s*(?:,\s*'?([^')]*?)'?\s*)?\)\)", RegexOptions.IgnoreCase)]
    private static partial Regex PathOfFileAbove();

    [GeneratedRegex(@"\$\(\[MSBuild\]::GetDirectoryNameOfFileAbove\(\s*'?([^,']+?)'?\s*,\s*'?([^')]+?)'?\s*\)\)", RegexOptions.IgnoreCase)]
    private static partial Regex DirectoryNameOfFileAbove();

    /// <summary>Resolves a written value, which may be a ';'-separated list.</summary>
    public static ResolvedPath Resolve(string written, PathContext context)
    {
        // Most paths are plain relative ones ("../Shared/Shared.csproj"): no properties, lists or globs to look at.
        if (written.AsSpan().IndexOfAny("$;@%") < 0 && !Path.IsPathRooted(written))
        {
            var plain = PathUtil.Normalize(PathUtil.Combine(context.BaseDirectory, written.Trim()));
            return new ResolvedPath(plain is { Length: > 0 } ? [new Glob(plain)] : [], false);
        }
        var globs = new List<Glob>();
        var unknown = false;
        foreach (var part in written.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Item references and transforms (@(Compile), %(Identity)) name items, not files; SDK folders are not ours.
            if (part.Contains("@(", StringComparison.Ordinal) || part.Contains("%(", StringComparison.Ordinal) || IsOutside(part))
            {
                continue;
            }

            var text = Substitute(part.Replace('\\', '/'), context);
            if (text is null)
            {
                continue;
            }

            if (text.Contains("$(", StringComparison.Ordinal))
            {
                var tail = Tail(text);
                if (tail.Length == 0)
                {
                    unknown = true;
                }
                else
                {
                    globs.Add(new Glob(tail[0] == '/' ? "**" + tail : "**/*" + tail));
                }

                continue;
            }
            string? relative;
            if (text.StartsWith(RootMark, StringComparison.Ordinal))
            {
                relative = text[RootMark.Length..];
            }
            else if (Path.IsPathRooted(text))
            {
                relative = InRepository(text, context.RootSpellings);
            }
            else
            {
                relative = PathUtil.Combine(context.BaseDirectory, text);
            }

            if (relative is not null && PathUtil.Normalize(relative) is { Length: > 0 } normalized)
            {
                globs.Add(new Glob(normalized));
            }
        }
        return new ResolvedPath(globs, unknown);
    }

    private static bool IsOutside(string written) => OutsideProperties.Any(p => written.TrimStart().StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>What is written after the last property.</summary>
    private static string Tail(string text) => text[(text.LastIndexOf(')') + 1)..];

    /// <summary>Replaces the folder properties and property functions it knows; null when a function finds nothing in the repository.</summary>
    private static string? Substitute(string text, PathContext context)
    {
        if (!text.Contains("$(", StringComparison.Ordinal))
        {
            return text;
        }

        text = text.Replace("$(MSBuildThisFileDirectory)", Folder(context.ThisFileDirectory), StringComparison.OrdinalIgnoreCase);
        if (context.ProjectDirectory is { } projectDirectory)
        {
            text = text.Replace("$(MSBuildProjectDirectory)", Folder(projectDirectory).TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
        }

        if (context.ProjectName is { } projectName)
        {
            text = text.Replace("$(MSBuildProjectName)", projectName, StringComparison.OrdinalIgnoreCase);
        }

        var missing = false;
        text = PathOfFileAbove().Replace(text, m =>
        {
            var start = m.Groups[2].Success && m.Groups[2].Value.Length > 0 ? m.Groups[2].Value : Folder(context.ThisFileDirectory);
            var found = Above(start, m.Groups[1].Value.Trim(), context);
            missing |= found is null;
            return found is null ? "" : RootMark + found;
        });
        text = DirectoryNameOfFileAbove().Replace(text, m =>
        {
            var name = m.Groups[2].Value.Trim();
            var found = Above(m.Groups[1].Value, name, context);
            missing |= found is null;
            return found is null ? "" : Folder(PathUtil.DirectoryOf(found)).TrimEnd('/');
        });
        return missing ? null : text;
    }

    private static string? Above(string start, string name, PathContext context)
    {
        var directory = start.StartsWith(RootMark, StringComparison.Ordinal)
            ? PathUtil.Normalize(start[RootMark.Length..])
            : PathUtil.Normalize(PathUtil.Combine(context.ThisFileDirectory, start));
        return directory is null || name.Contains("$(", StringComparison.Ordinal) ? null : context.FileAbove(directory, name);
    }

    /// <summary>A repository folder written as MSBuild writes $(MSBuildThisFileDirectory): absolute, with a trailing slash.</summary>
    private static string Folder(string directory) => RootMark + (directory.Length == 0 ? "" : directory + "/");

    private static string? InRepository(string absolute, IReadOnlyList<string> rootSpellings)
    {
        foreach (var root in rootSpellings)
        {
            var relative = Path.GetRelativePath(root, absolute).Replace('\\', '/');
            if (relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return relative == "." ? "" : relative;
            }
        }
        return null;
    }
}
