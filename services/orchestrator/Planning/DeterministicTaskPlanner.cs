using System.Text.RegularExpressions;
using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Planning;

/// <summary>
/// The default planner: the same goal always gives the same jobs, with no network.
/// <para>
/// The <em>subject</em> of the goal is the text after its first colon when the part before it is a short
/// <em>instruction</em> (at most 60 characters, one line) and a space follows the colon: "Summarise: the quick brown fox"
/// has the instruction "Summarise" and the subject "the quick brown fox", while "see https://example.com" is its own
/// subject. Otherwise the subject is the whole goal, trimmed, and so is the instruction.
/// </para>
/// <para>
/// The instruction's verbs choose the jobs, in the order they appear: count ... gives <c>wordcount</c> of the subject,
/// hash/checksum/SHA-256 gives <c>hash</c>, echo/repeat gives <c>echo</c>, and what needs a language model (summarise,
/// explain, translate, write, answer, ...) gives one <c>llm</c> job prompted with the whole goal. A goal naming none of
/// them gets <c>wordcount</c>, <c>hash</c> and <c>echo</c> of the subject. <c>Planner:IncludeLlmJob</c> adds the
/// <c>llm</c> job to every plan that has none.
/// </para>
/// </summary>
public sealed partial class DeterministicTaskPlanner(IOptions<PlannerOptions> options) : ITaskPlanner
{
    /// <summary>The longest text before a colon that still reads as an instruction ("Count the words in this:").</summary>
    public const int MaxInstructionLength = 60;

    /// <summary>What a goal naming no known verb gets.</summary>
    public static readonly IReadOnlyList<string> DefaultJobTypes = [JobTypes.WordCount, JobTypes.Hash, JobTypes.Echo];

    public Task<IReadOnlyList<NewJob>> PlanAsync(string goal, string? owner, CancellationToken cancellationToken) =>
        Task.FromResult(Plan(goal, options.Value.IncludeLlmJob));

    public static IReadOnlyList<NewJob> Plan(string goal, bool includeLlmJob)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);

        var (instruction, subject) = Split(goal);
        var types = JobTypesNamedIn(instruction);
        if (types.Count == 0)
        {
            types = [.. DefaultJobTypes];
        }

        if (includeLlmJob && !types.Contains(JobTypes.Llm))
        {
            types.Add(JobTypes.Llm);
        }

        // The model needs the instruction as well as the text; the other jobs work on the text alone.
        return [.. types.Select(type => new NewJob(type, type == JobTypes.Llm ? goal.Trim() : subject))];
    }

    public static string Subject(string goal) => Split(goal).Subject;

    /// <summary>The job types the verbs of <paramref name="instruction"/> ask for, each once, in the order they appear.</summary>
    public static List<string> JobTypesNamedIn(string instruction)
    {
        ArgumentNullException.ThrowIfNull(instruction);

        List<string> types = [];
        foreach (Match match in Verbs().Matches(instruction))
        {
            var type = match.Groups[JobTypes.Llm].Success ? JobTypes.Llm
                : match.Groups[JobTypes.WordCount].Success ? JobTypes.WordCount
                : match.Groups[JobTypes.Hash].Success ? JobTypes.Hash
                : JobTypes.Echo;
            if (!types.Contains(type))
            {
                types.Add(type);
            }
        }

        return types;
    }

    private static (string Instruction, string Subject) Split(string goal)
    {
        ArgumentNullException.ThrowIfNull(goal);

        var trimmed = goal.Trim();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon is > 0 and <= MaxInstructionLength
            && colon + 1 < trimmed.Length
            && char.IsWhiteSpace(trimmed[colon + 1])
            && trimmed.AsSpan(0, colon).IndexOfAny('\r', '\n') < 0)
        {
            var rest = trimmed[(colon + 1)..].Trim();
            if (rest.Length > 0)
            {
                return (trimmed[..colon], rest);
            }
        }

        return (trimmed, trimmed);
    }

    // Whole words only ("country" is no count, "rehash" no hash); each group is named after the job type it asks for.
    [GeneratedRegex("""
        \b(?:
          (?<llm>summar(?:y|ies|i[sz]e[sd]?|i[sz]ing)|sum\s+up|tl;?dr|explain(?:s|ed|ing)?|describ(?:e[sd]?|ing)|translat(?:e[sd]?|ing)
            |rewrit(?:e[s]?|ing)|rephras(?:e[sd]?|ing)|paraphras(?:e[sd]?|ing)|answer(?:s|ed|ing)?|writ(?:e[s]?|ing)|draft(?:s|ed|ing)?
            |analy[sz](?:e[sd]?|ing)|analysis|classif(?:y|ies|ied|ying)|suggest(?:s|ed|ing)?|compos(?:e[sd]?|ing))
          |(?<wordcount>count(?:s|ed|ing)?|word\s?count|how\s+many\s+words)
          |(?<hash>hash(?:es|ed|ing)?|sha-?256|checksums?|digest)
          |(?<echo>echo(?:es|ed|ing)?|repeat(?:s|ed|ing)?)
        )\b
        """, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Verbs();
}
