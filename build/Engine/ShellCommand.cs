namespace AgentSystem.Build.Engine;

/// <summary>
/// Words and command lines as a POSIX shell takes them: plain words as they are, the others single-quoted. One quoting
/// for the build's printed commands and the load harness's reference-commands.sh (linked into tests/Load).
/// </summary>
internal static class ShellCommand
{
    /// <summary><paramref name="value"/> as one word of a POSIX shell: as it is when it is plain, else single-quoted.</summary>
    public static string Word(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:@%+=,".Contains(c, StringComparison.Ordinal))
            ? value
            : $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    /// <summary>A command line of <paramref name="fileName"/> and its arguments, each a word.</summary>
    /// <param name="secretAfter">An option whose value is written as <paramref name="secretAs"/> instead (a password).</param>
    public static string Of(string fileName, IEnumerable<string> arguments, string? secretAfter = null, string? secretAs = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var words = new List<string> { Word(fileName) };
        var hide = false;
        foreach (var argument in arguments)
        {
            words.Add(hide ? secretAs! : Word(argument));
            hide = secretAfter is not null && argument == secretAfter;
        }

        return string.Join(' ', words);
    }
}
