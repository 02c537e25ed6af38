using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Planning;

/// <summary>
/// The default planner: the same goal always gives the same jobs, with no network.
/// <para>
/// Rule: the <em>subject</em> of the goal is the text after its first colon when the part before it is a short
/// instruction (at most 60 characters, one line) and a space follows the colon: "Summarise: the quick brown fox" has
/// the subject "the quick brown fox", while "see https://example.com" is its own subject. Otherwise the subject is the
/// whole goal, trimmed. The plan is <c>wordcount</c>, <c>hash</c> and <c>echo</c> of the subject (the echo is the summary a
/// deterministic planner can give), then an <c>llm</c> job with the whole goal only when
/// <c>Planner:IncludeLlmJob</c> is true.
/// </para>
/// </summary>
public sealed class DeterministicTaskPlanner(IOptions<PlannerOptions> options) : ITaskPlanner
{
    /// <summary>The longest text before a colon that still reads as an instruction ("Count the words in this:").</summary>
    public const int MaxInstructionLength = 60;

    public Task<IReadOnlyList<NewJob>> PlanAsync(string goal, CancellationToken cancellationToken) =>
        Task.FromResult(Plan(goal, options.Value.IncludeLlmJob));

    public static IReadOnlyList<NewJob> Plan(string goal, bool includeLlmJob)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);

        var subject = Subject(goal);
        List<NewJob> jobs =
        [
            new(JobTypes.WordCount, subject),
            new(JobTypes.Hash, subject),
            new(JobTypes.Echo, subject),
        ];
        if (includeLlmJob)
        {
            jobs.Add(new(JobTypes.Llm, goal.Trim()));
        }

        return jobs;
    }

    public static string Subject(string goal)
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
                return rest;
            }
        }

        return trimmed;
    }
}
