namespace AgentSystem.Contracts;

/// <summary>
/// "Did you mean" for a mistyped name: the build's targets, parameters and services, the API's job types. Linked into
/// the build program (build/_build.csproj) as well, so both suggest alike.
/// </summary>
public static class Suggestions
{
    /// <summary>
    /// " Did you mean 'Compile'?" for a mistyped <paramref name="given"/> ("Compil", "--servce"): the one closest
    /// candidate within a third of its length in edits (at least 1), ignoring case; empty when none is that close.
    /// </summary>
    public static string DidYouMean(string given, IEnumerable<string> candidates) => DidYouMean([given], candidates);

    /// <summary>" Did you mean 'gateway', 'orchestrator'?" for several mistyped names, those that have a closest one.</summary>
    public static string DidYouMean(IEnumerable<string> given, IEnumerable<string> candidates)
    {
        var known = candidates.ToList();
        var closest = given.Select(name => Closest(name, known)).OfType<string>().Select(name => $"'{name}'").ToList();
        return closest.Count > 0 ? $" Did you mean {string.Join(", ", closest)}?" : "";
    }

    private static string? Closest(string given, IEnumerable<string> candidates)
    {
        var limit = Math.Max(1, given.Length / 3);
        var lower = given.ToLowerInvariant();
        // The distance is at least the difference in length: a job type of megabytes costs no table of that size.
        var closest = candidates
            .Where(candidate => Math.Abs(candidate.Length - given.Length) <= limit)
            .Select(candidate => (Candidate: candidate, Distance: EditDistance(lower, candidate.ToLowerInvariant())))
            .Where(match => match.Distance <= limit)
            .OrderBy(match => match.Distance)
            .ToList();
        return closest.Count > 0 && (closest.Count == 1 || closest[0].Distance < closest[1].Distance) ? closest[0].Candidate : null;
    }

    // Insertions, deletions, substitutions and swaps of two neighbours ("Dve" for "Dev"), each one edit.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j], d[i, j - 1]) + 1, d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
