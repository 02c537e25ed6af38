using System.Globalization;
using System.Text;
using AgentSystem.Contracts;
using AgentSystem.Store;
using Microsoft.Extensions.Primitives;

namespace AgentSystem.Orchestrator.Model;

/// <summary>
/// The rules of <c>POST /tasks</c> (docs/api.md), with the limits of <see cref="Limits"/>. Errors are keyed by the
/// field's JSON path (<c>jobs</c>, <c>jobs[3].type</c>, <c>jobs[0].input</c>, <c>goal</c>), as the frontend shows them
/// next to its fields. Whatever passes here can be stored and run: a job is never accepted to fail later for its input.
/// </summary>
public static class TaskValidation
{
    /// <summary>Returns the errors (empty when valid) and, when valid, the request with its jobs normalised.</summary>
    public static Dictionary<string, string[]> Validate(CreateTaskRequest request, out IReadOnlyList<NewJob>? jobs)
    {
        ArgumentNullException.ThrowIfNull(request);

        jobs = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Jobs is null == request.Goal is null)
        {
            // helper-91: {"job": [...]} was told to give 'jobs' without a word about the 'job' it gave.
            var others = request.Others?.Keys.Select(name => $" '{Shorten(name)}' is no field of a task.{Suggestions.DidYouMean(name, ["jobs", "goal"])}") ?? [];
            var message = request.Jobs is null
                ? "Give either 'jobs' (explicit jobs) or a 'goal' for the planner." + string.Concat(others.Take(3))
                : "Give either 'jobs' or a 'goal', not both.";
            errors["jobs"] = [message];
            errors["goal"] = [message];
            return errors;
        }

        if (request.Goal is { } goal)
        {
            if (string.IsNullOrWhiteSpace(goal))
            {
                errors["goal"] = ["The goal is empty: describe what to do."];
            }
            else if (Limits.TextProblem(goal, Limits.MaxGoalBytes, "the goal") is { } problem)
            {
                errors["goal"] = [problem];
            }

            return errors;
        }

        return ValidateJobs(request.Jobs!, out jobs);
    }

    /// <summary>The rules for explicit jobs, also applied to what a planner proposes.</summary>
    public static Dictionary<string, string[]> ValidateJobs(IReadOnlyList<JobRequest?> requested, out IReadOnlyList<NewJob>? jobs)
    {
        ArgumentNullException.ThrowIfNull(requested);

        jobs = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (requested.Count == 0)
        {
            errors["jobs"] = ["At least one job is required."];
            return errors;
        }

        if (requested.Count > Limits.MaxJobsPerTask)
        {
            errors["jobs"] = [$"At most {Limits.MaxJobsPerTask} jobs are allowed (there are {requested.Count})."];
            return errors;
        }

        var valid = new List<NewJob>(requested.Count);
        for (var i = 0; i < requested.Count; i++)
        {
            if (requested[i] is not { } job)
            {
                errors[$"jobs[{i}]"] = ["A job is an object with a 'type' and an 'input'."];
                continue;
            }

            if (string.IsNullOrWhiteSpace(job.Type))
            {
                errors[$"jobs[{i}].type"] = ["A job type is required."];
            }
            else if (!JobTypes.IsKnown(job.Type))
            {
                errors[$"jobs[{i}].type"] = [$"Unknown job type '{Shorten(job.Type)}'.{Suggestions.DidYouMean(job.Type, JobTypes.All)} Known types: {string.Join(", ", JobTypes.All)}."];
            }

            var input = NormaliseInput(job.Type, job.Input ?? "");
            if (InputProblem(job.Type, input) is { } problem)
            {
                errors[$"jobs[{i}].input"] = [problem];
            }

            valid.Add(new NewJob(job.Type ?? "", input));
        }

        var total = valid.Sum(job => (long)Encoding.UTF8.GetByteCount(job.Input));
        if (errors.Count == 0 && total > Limits.MaxTaskInputBytes)
        {
            errors["jobs"] = [$"The jobs' inputs come to {Limits.BytesText(total)} of UTF-8; at most {Limits.BytesText(Limits.MaxTaskInputBytes)} are allowed in all. Split the work into several tasks."];
        }

        if (errors.Count == 0)
        {
            jobs = valid;
        }

        return errors;
    }

    /// <summary>
    /// An error message when the gateway's <see cref="ClientId.HeaderName"/> is malformed, null when it is an id or absent
    /// (a caller inside the cluster, whose jobs share the queue's lane of no client).
    /// </summary>
    public static string? ValidateClient(StringValues values) =>
        values.Count == 0 || (values.Count == 1 && ClientId.IsValid(values[0]))
            ? null
            : $"The {ClientId.HeaderName} header, which the gateway sets, must be one id of {ClientId.Length} lower-case hex digits.";

    /// <summary>
    /// An error message when the header is unusable, null when it is fine (or absent). One value of printable ASCII
    /// but the comma (as the IETF draft's string, unquoted), at most <see cref="TaskLimits.MaxIdempotencyKeyLength"/> characters.
    /// </summary>
    public static string? ValidateIdempotencyKey(StringValues values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            return $"The Idempotency-Key header is given {values.Count} times; send it once.";
        }

        var key = values[0] ?? "";
        if (string.IsNullOrWhiteSpace(key))
        {
            return "The Idempotency-Key header is empty.";
        }

        if (key.Length > TaskLimits.MaxIdempotencyKeyLength)
        {
            return $"The Idempotency-Key header is {key.Length} characters long; at most {TaskLimits.MaxIdempotencyKeyLength} are allowed.";
        }

        if (key.AsSpan().IndexOfAnyExceptInRange(' ', '~') is var at and >= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The Idempotency-Key header may hold printable ASCII only; character {at + 1} is U+{(int)key[at]:X4}.");
        }

        // A proxy (the gateway's included) joins a header sent twice into one, with a comma.
        return key.Contains(',', StringComparison.Ordinal)
            ? "The Idempotency-Key header holds a comma: send one key, once (a header sent twice arrives joined by commas)."
            : null;
    }

    private static string NormaliseInput(string? type, string input) => type == JobTypes.Sleep ? input.Trim() : input;

    // The same checks the worker's handler would make, so a job never fails later for its input.
    private static string? InputProblem(string? type, string input)
    {
        if (Limits.TextProblem(input, Limits.MaxInputBytes(type), type == JobTypes.Llm ? "the input (one chat message)" : "the input") is { } problem)
        {
            return problem;
        }

        return type switch
        {
            JobTypes.Sleep when !IsMilliseconds(input) =>
                $"A sleep job takes a whole number of milliseconds from 0 to {Limits.MaxSleepMilliseconds}, e.g. 500.",
            JobTypes.Llm when string.IsNullOrWhiteSpace(input) => "An llm job needs a prompt: the input is empty.",
            _ => null,
        };
    }

    private static bool IsMilliseconds(string input) =>
        input.Length > 0
        && input.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0
        && int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
        && milliseconds <= Limits.MaxSleepMilliseconds;

    // Never half a surrogate pair: the message is JSON and may be shown anywhere.
    /// <summary>At most 40 characters of what a client sent, for a message that quotes it.</summary>
    public static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, char.IsHighSurrogate(text[39]) ? 39 : 40), "…");
}
