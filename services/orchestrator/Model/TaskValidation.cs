using System.Globalization;
using System.Text;
using AgentSystem.Contracts;
using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Model;

/// <summary>
/// The rules of <c>POST /tasks</c> (docs/api.md). Errors are keyed by the field's JSON path (<c>jobs</c>,
/// <c>jobs[3].type</c>, <c>jobs[0].input</c>, <c>goal</c>), as the frontend shows them next to its fields.
/// </summary>
public static class TaskValidation
{
    /// <summary>Returns the errors (empty when valid) and, when valid, the request with its jobs normalised.</summary>
    public static Dictionary<string, string[]> Validate(CreateTaskRequest request, int maxSleepMilliseconds, out IReadOnlyList<NewJob>? jobs)
    {
        ArgumentNullException.ThrowIfNull(request);

        jobs = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Jobs is null == request.Goal is null)
        {
            var message = request.Jobs is null
                ? "Give either 'jobs' (explicit jobs) or a 'goal' for the planner."
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
            else if (Encoding.UTF8.GetByteCount(goal) is var bytes and > TaskLimits.MaxGoalBytes)
            {
                errors["goal"] = [$"The goal is {SizeText(bytes)}; at most 64 KiB is allowed."];
            }

            return errors;
        }

        return ValidateJobs(request.Jobs!, maxSleepMilliseconds, out jobs);
    }

    /// <summary>The rules for explicit jobs, also applied to what a planner proposes.</summary>
    public static Dictionary<string, string[]> ValidateJobs(IReadOnlyList<JobRequest?> requested, int maxSleepMilliseconds, out IReadOnlyList<NewJob>? jobs)
    {
        ArgumentNullException.ThrowIfNull(requested);

        jobs = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (requested.Count == 0)
        {
            errors["jobs"] = ["At least one job is required."];
            return errors;
        }

        if (requested.Count > TaskLimits.MaxJobs)
        {
            errors["jobs"] = [$"At most {TaskLimits.MaxJobs} jobs are allowed (there are {requested.Count})."];
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
                errors[$"jobs[{i}].type"] = [$"Unknown job type '{Shorten(job.Type)}'. Known types: {string.Join(", ", JobTypes.All)}."];
            }

            var input = job.Input ?? "";
            if (Encoding.UTF8.GetByteCount(input) is var bytes and > TaskLimits.MaxInputBytes)
            {
                errors[$"jobs[{i}].input"] = [$"The input is {SizeText(bytes)}; at most 64 KiB is allowed."];
            }
            else if (job.Type == JobTypes.Sleep)
            {
                input = input.Trim();
                if (!IsMilliseconds(input, maxSleepMilliseconds))
                {
                    errors[$"jobs[{i}].input"] = [$"A sleep job takes a whole number of milliseconds from 0 to {maxSleepMilliseconds}, e.g. 500."];
                }
            }

            valid.Add(new NewJob(job.Type ?? "", input));
        }

        if (errors.Count == 0)
        {
            jobs = valid;
        }

        return errors;
    }

    /// <summary>An error message when the header is unusable, null when it is fine (or absent).</summary>
    public static string? ValidateIdempotencyKey(string? key) => key switch
    {
        null => null,
        _ when string.IsNullOrWhiteSpace(key) => "The Idempotency-Key header is empty.",
        { Length: > TaskLimits.MaxIdempotencyKeyLength } => $"The Idempotency-Key header is longer than {TaskLimits.MaxIdempotencyKeyLength} characters.",
        _ => null,
    };

    private static bool IsMilliseconds(string input, int max) =>
        input.Length > 0
        && input.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0
        && int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
        && milliseconds <= max;

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private static string SizeText(int bytes) => bytes < 1024
        ? $"{bytes} bytes"
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB");
}
