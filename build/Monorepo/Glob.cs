using System.IO.Enumeration;

namespace AgentSystem.Build.Monorepo;

/// <summary>
/// A repository-relative path pattern as MSBuild reads an item or import: '*' and '?' within one folder or file name,
/// '**' across any number of folders. Matched against paths, never expanded on disk, so deleted files match too.
/// </summary>
public sealed class Glob
{
    private readonly string[] _segments;

    public Glob(string pattern)
    {
        Pattern = pattern;
        IsLiteral = pattern.IndexOfAny(['*', '?']) < 0;
        _segments = IsLiteral ? [] : pattern.Split('/');
    }

    /// <summary>The pattern relative to the repository root, with '/'.</summary>
    public string Pattern { get; }

    public bool IsLiteral { get; }

    /// <param name="path">A repository-relative path with '/'.</param>
    /// <param name="ignoreCase">
    /// True where a wrong "yes" is the safe answer (what a project includes), false where a wrong "no" is (what it
    /// excludes or removes): MSBuild compares without case on Windows and with case on Linux.
    /// </param>
    public bool Matches(string path, bool ignoreCase)
    {
        if (IsLiteral)
        {
            return string.Equals(Pattern, path, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }

        return Match(0, path.Split('/'), 0, ignoreCase);
    }

    private bool Match(int segment, string[] parts, int part, bool ignoreCase)
    {
        for (; segment < _segments.Length; segment++, part++)
        {
            if (_segments[segment] == "**")
            {
                if (segment == _segments.Length - 1)
                {
                    return part < parts.Length;
                }

                for (var next = part; next < parts.Length; next++)
                {
                    if (Match(segment + 1, parts, next, ignoreCase))
                    {
                        return true;
                    }
                }
                return false;
            }
            if (part >= parts.Length || !FileSystemName.MatchesSimpleExpression(_segments[segment], parts[part], ignoreCase))
            {
                return false;
            }
        }
        return part == parts.Length;
    }

    public override string ToString() => Pattern;
}
