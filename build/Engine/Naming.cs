using System.Text;

namespace AgentSystem.Build.Engine;

internal static class Naming
{
    /// <summary>BaseImages -> base-images</summary>
    public static string ToKebabCase(string name) => Split(name, '-').ToLowerInvariant();

    /// <summary>BaseImages -> BASE_IMAGES</summary>
    public static string ToScreamingSnakeCase(string name) => Split(name, '_').ToUpperInvariant();

    private static string Split(string name, char separator)
    {
        var builder = new StringBuilder();
        var trimmed = name.TrimStart('_');
        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            var startsWord = i > 0 && char.IsUpper(c) &&
                (char.IsLower(trimmed[i - 1]) || (i + 1 < trimmed.Length && char.IsLower(trimmed[i + 1]) && char.IsUpper(trimmed[i - 1])));
            if (startsWord)
            {
                builder.Append(separator);
            }

            builder.Append(c);
        }
        return builder.ToString();
    }
}
