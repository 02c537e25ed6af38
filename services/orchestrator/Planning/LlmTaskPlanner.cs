using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Planning;

/// <summary>
/// Asks the chat service (<c>Planner:UseLlm</c>) to break a goal into jobs, and checks the answer with the rules for
/// explicit jobs. Whenever that gives no valid plan (chat unreachable or offline, an answer that is not a JSON array
/// of jobs, a job the API would refuse) it logs why and returns the deterministic plan, so a goal never fails for
/// want of an LLM.
/// </summary>
public sealed partial class LlmTaskPlanner(
    HttpClient http,
    DeterministicTaskPlanner fallback,
    ILogger<LlmTaskPlanner> logger) : ITaskPlanner
{
    /// <summary>The provider name of chat's built-in offline provider, whose answers are no plans.</summary>
    public const string OfflineProvider = "offline";

    public const int MaxPlannedJobs = 20;

    public static readonly string Instructions =
        "You plan work for a job runner. Break the user's goal into 1 to " + MaxPlannedJobs + " jobs. Job types: "
        + "echo (returns its input), wordcount (counts the words of its input), hash (SHA-256 of its input), "
        + "sleep (waits; input: whole milliseconds, at most 10000), llm (input: a prompt for a language model). "
        + "Answer with only a JSON array, no prose, like "
        + """[{"type":"wordcount","input":"the text"},{"type":"llm","input":"Summarise: the text"}]""";

    private static readonly Uri ChatPath = new("chat", UriKind.Relative);

    public async Task<IReadOnlyList<NewJob>> PlanAsync(string goal, string? owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);

        try
        {
            // Chat keeps the exchange as a conversation of the task's key, counted against that key's chat quota (a key
            // at it gets a 403 here, and the deterministic plan).
            using var request = new HttpRequestMessage(HttpMethod.Post, ChatPath)
            {
                Content = JsonContent.Create(
                    new ChatRequestDto(null, [new(ChatRoles.System, Instructions), new(ChatRoles.User, goal.Trim())], Stream: false),
                    OrchestratorJsonContext.Default.ChatRequestDto),
            };
            if (owner is not null)
            {
                request.Headers.Add(Owner.HeaderName, owner);
            }

            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogFallback(logger, $"chat answered HTTP {(int)response.StatusCode}");
                return await fallback.PlanAsync(goal, owner, cancellationToken);
            }

            var reply = await response.Content.ReadFromJsonAsync(OrchestratorJsonContext.Default.ChatReplyDto, cancellationToken);
            if (string.Equals(reply?.Provider, OfflineProvider, StringComparison.OrdinalIgnoreCase))
            {
                LogFallback(logger, "chat has no LLM configured (offline provider)");
                return await fallback.PlanAsync(goal, owner, cancellationToken);
            }

            if (ParsePlan(reply?.Message?.Content) is not { } proposed)
            {
                LogFallback(logger, "the answer holds no JSON array of jobs");
                return await fallback.PlanAsync(goal, owner, cancellationToken);
            }

            if (proposed.Count > MaxPlannedJobs)
            {
                LogFallback(logger, $"the answer proposes {proposed.Count} jobs (at most {MaxPlannedJobs})");
                return await fallback.PlanAsync(goal, owner, cancellationToken);
            }

            var errors = TaskValidation.ValidateJobs(proposed, out var jobs);
            if (jobs is null)
            {
                LogFallback(logger, "the proposed jobs are invalid: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")));
                return await fallback.PlanAsync(goal, owner, cancellationToken);
            }

            return jobs;
        }
        catch (Exception error) when (error is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogFallback(logger, $"{error.GetType().Name}: {error.Message}");
            return await fallback.PlanAsync(goal, owner, cancellationToken);
        }
    }

    /// <summary>The JSON array of jobs in an answer (models like to wrap it in prose or a code fence); null when none.</summary>
    public static IReadOnlyList<JobRequest?>? ParsePlan(string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer))
        {
            return null;
        }

        var start = answer.IndexOf('[', StringComparison.Ordinal);
        var end = answer.LastIndexOf(']');
        if (start < 0 || end <= start)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(answer.AsSpan(start, end - start + 1), OrchestratorJsonContext.Default.IReadOnlyListJobRequest);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LLM planner fell back to the deterministic plan: {Reason}")]
    private static partial void LogFallback(ILogger logger, string reason);
}

/// <summary>Chat's roles, as its API spells them.</summary>
public static class ChatRoles
{
    public const string System = "system";
    public const string User = "user";
}

/// <summary>The body of chat's <c>POST /chat</c> (docs/api.md).</summary>
public sealed record ChatRequestDto(Guid? ConversationId, IReadOnlyList<ChatMessageDto> Messages, bool Stream);

public sealed record ChatMessageDto(string Role, string Content);

/// <summary>Chat's answer; only what the planner reads, all optional so an unexpected answer is a fallback, not a crash.</summary>
public sealed record ChatReplyDto(Guid? ConversationId, string? Provider, ChatMessageDto? Message);
