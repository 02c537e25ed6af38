using System.Diagnostics;
using System.Globalization;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Planning;
using AgentSystem.Orchestrator.Services;
using AgentSystem.Queue;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Apis;

/// <summary>The task API of docs/api.md, under <c>/tasks</c> (the gateway maps <c>/api/tasks</c> here).</summary>
public static class TasksApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static RouteGroupBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/tasks").WithTags("Tasks");
        api.MapPost("/", CreateTaskAsync);
        api.MapGet("/", ListTasksAsync);
        api.MapGet("/{id:guid}", GetTaskAsync);
        api.MapGet("/{id:guid}/events", GetTaskEventsAsync);
        api.MapDelete("/{id:guid}", CancelTaskAsync);

        // Without these an id that is no GUID matched no route: an empty 404 that did not say why.
        api.MapMethods("/{id}", [HttpMethods.Get, HttpMethods.Delete], NotATaskId);
        api.MapGet("/{id}/events", NotATaskId);
        return api;
    }

    /// <summary>
    /// 202 with Location for a new task; 200 with the same Location and the earlier task when the Idempotency-Key
    /// was seen before (nothing new is stored or sent); 422 when that key came with a different request.
    /// </summary>
    public static async Task<Results<Accepted<TaskResponse>, Ok<TaskResponse>, ProblemHttpResult>> CreateTaskAsync(
        HttpContext context,
        ITaskPlanner planner,
        TaskSubmitter submitter,
        IOptions<TasksOptions> options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);

        var (request, readError) = await JsonBody.ReadAsync(context.Request, OrchestratorJsonContext.Default.CreateTaskRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        var keyHeader = context.Request.Headers[TaskLimits.IdempotencyKeyHeader];
        if (TaskValidation.ValidateIdempotencyKey(keyHeader) is { } keyError)
        {
            // A malformed header, like a malformed body, is a 400.
            return Problem(StatusCodes.Status400BadRequest, new(StringComparer.Ordinal) { [TaskLimits.IdempotencyKeyHeader] = [keyError] });
        }

        var clientHeader = context.Request.Headers[ClientId.HeaderName];
        if (TaskValidation.ValidateClient(clientHeader) is { } clientError)
        {
            return Problem(StatusCodes.Status400BadRequest, new(StringComparer.Ordinal) { [ClientId.HeaderName] = [clientError] });
        }

        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        var idempotencyKey = keyHeader.Count == 1 ? keyHeader[0] : null;
        var errors = TaskValidation.Validate(request!, out var jobs);
        if (errors.Count > 0)
        {
            return ValidationProblem(errors);
        }

        var goal = request!.Goal?.Trim();
        if (jobs is null)
        {
            var planned = await planner.PlanAsync(goal!, owner, cancellationToken);
            var planErrors = TaskValidation.ValidateJobs([.. planned.Select(job => new JobRequest(job.Type, job.Input))], out jobs);
            if (jobs is null)
            {
                var reasons = string.Join("; ", planErrors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}"));
                return ValidationProblem(new(StringComparer.Ordinal) { ["goal"] = [$"The planner could not break this goal into valid jobs ({reasons})."] });
            }
        }

        // The W3C trace context of this request travels with every job, so the worker continues the trace. A caller
        // inside the cluster (no owner) is counted but not limited: the quota is an API key's.
        CreatedTask created;
        try
        {
            created = await submitter.SubmitAsync(
                new NewTask(goal, jobs, idempotencyKey, Activity.Current?.Id, clientHeader.FirstOrDefault(), owner, owner is null ? 0 : options.Value.MaxStoredBytesPerKey),
                cancellationToken);
        }
        catch (StorageQuotaExceededException full)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: StorageQuotaExceededException.Title,
                detail: full.Detail("tasks", "this task counts", "A finished task is deleted after the retention period, which frees what it counts."),
                extensions: full.ProblemExtensions());
        }

        var task = TaskResponse.From(created.Task);
        var location = TaskLocation(task.Id);
        if (created.Created)
        {
            return TypedResults.Accepted(location, task);
        }

        if (!IsSameRequest(created.Task, goal, request.Goal is null ? jobs : null))
        {
            return ValidationProblem(new(StringComparer.Ordinal)
            {
                [TaskLimits.IdempotencyKeyHeader] = [$"This Idempotency-Key was used for a different request (task {task.Id}); use a new key for a new task."],
            });
        }

        context.Response.Headers.Location = location;
        return TypedResults.Ok(task);
    }

    public static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> GetTaskAsync(
        Guid id, HttpContext context, ITaskRepository tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        return await tasks.GetAsync(id, owner, cancellationToken) is { } task
            ? TypedResults.Ok(TaskResponse.From(task))
            : NotFound(id);
    }

    /// <summary><c>?status=&amp;page=&amp;pageSize=</c>, newest first; 422 naming the parameter when one is not usable.</summary>
    public static async Task<Results<Ok<TaskPageResponse>, ProblemHttpResult>> ListTasksAsync(
        string? status, string? page, string? pageSize, HttpContext context, ITaskRepository tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        TaskState? state = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (ParseState(status.Trim()) is { } parsed)
            {
                state = parsed;
            }
            else
            {
                var known = Enum.GetValues<TaskState>().Select(s => s.Name()).ToList();
                errors["status"] = [$"Unknown status '{TaskValidation.Shorten(status.Trim())}'.{Suggestions.DidYouMean(status.Trim(), known)} Known: {string.Join(", ", known)}."];
            }
        }

        var pageNumber = ParseInt(page, 1, "page", 1, int.MaxValue, errors);
        var size = ParseInt(pageSize, DefaultPageSize, "pageSize", 1, MaxPageSize, errors);
        if (errors.Count == 0 && Limits.BeyondListed(pageNumber, size, "tasks") is { } beyond)
        {
            errors["page"] = [beyond];
        }

        if (errors.Count > 0)
        {
            return ValidationProblem(errors);
        }

        var result = await tasks.ListAsync(state, owner, pageNumber, size, cancellationToken);
        return TypedResults.Ok(TaskPageResponse.From(result));
    }

    /// <summary>
    /// Server-sent events: <c>event: task</c> with the task at once and on every change, until it is final (see
    /// <see cref="TaskEventsResult"/>). 404 for an unknown id, or another owner's task, before the stream starts.
    /// </summary>
    public static async Task<Results<TaskEventsResult, ProblemHttpResult>> GetTaskEventsAsync(
        Guid id, HttpContext context, ITaskRepository tasks, TaskEventsHub hub, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(hub);
        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        // The hub's watch of a task is shared by all its streams, whoever asks: the owner is checked here, once (it
        // never changes).
        if (owner is not null && !await tasks.IsOwnedByAsync(id, owner, cancellationToken))
        {
            return NotFound(id);
        }

        try
        {
            return await hub.SubscribeAsync(id, cancellationToken) is { } subscription
                ? new TaskEventsResult(subscription)
                : NotFound(id);
        }
        catch (TaskEventsStoppedException stopped)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The orchestrator is stopping", detail: stopped.Message);
        }
    }

    /// <summary>
    /// Cancels every job of the task not yet final, queued or running, and tells the workers running one to stop it:
    /// 202 with the task (now final). 409 when the task was already final: nothing is changed. 404 for an unknown id,
    /// or another owner's task.
    /// </summary>
    public static async Task<Results<Accepted<TaskResponse>, ProblemHttpResult>> CancelTaskAsync(
        Guid id, HttpContext context, ITaskRepository tasks, ITaskSignals signals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(signals);
        if (OwnerHeader.Read(context, out var owner) is { } ownerError)
        {
            return ownerError;
        }

        if (await tasks.CancelAsync(id, owner, cancellationToken) is not { } cancel)
        {
            return NotFound(id);
        }

        var task = TaskResponse.From(cancel.Task);
        if (!cancel.Changed)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "The task is already final",
                detail: $"Task {id} is {cancel.Task.Status.Name()}; nothing was cancelled or changed.",
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["taskStatus"] = cancel.Task.Status.Name() });
        }

        // Committed: the workers running its jobs stop them (or find out at their next lease renewal), and open
        // event streams read the task again.
        signals.Publish(TaskSignal.Cancelled, id);
        signals.Publish(TaskSignal.Changed, id);
        return TypedResults.Accepted(TaskLocation(id), task);
    }

    public static string TaskLocation(Guid id) => $"/tasks/{id}";

    // The task stored under the key must be what this request asked for: the same goal, or the same explicit jobs.
    private static bool IsSameRequest(TaskRecord stored, string? goal, IReadOnlyList<NewJob>? explicitJobs)
    {
        if (!string.Equals(stored.Goal, goal, StringComparison.Ordinal))
        {
            return false;
        }

        // A goal's plan may differ between two calls (an LLM planner): the goal decides.
        return explicitJobs is null
            || stored.Jobs.OrderBy(job => job.Seq).Select(job => new NewJob(job.Type, job.Input)).SequenceEqual(explicitJobs);
    }

    private static TaskState? ParseState(string text)
    {
        foreach (var state in Enum.GetValues<TaskState>())
        {
            if (string.Equals(state.Name(), text, StringComparison.OrdinalIgnoreCase))
            {
                return state;
            }
        }

        return null;
    }

    private static int ParseInt(string? text, int fallback, string name, int min, int max, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors[name] = [max == int.MaxValue ? $"'{name}' must be a whole number from {min}." : $"'{name}' must be a whole number from {min} to {max}."];
        return fallback;
    }

    // 422, not the 400 of TypedResults.ValidationProblem: the JSON was well-formed, its content was not.
    private static ProblemHttpResult ValidationProblem(Dictionary<string, string[]> errors) => Problem(StatusCodes.Status422UnprocessableEntity, errors);

    private static ProblemHttpResult Problem(int status, Dictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = status,
            Title = "The request is invalid",
            Detail = errors.Count == 1 ? errors.First().Value[0] : "See 'errors': each entry names a field and what is wrong with it.",
        });

    private static ProblemHttpResult NotATaskId(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Task not found",
            detail: $"'{(id.Length > 64 ? id[..64] + "..." : id)}' is no task id: a task's id is a GUID, the one in the Location its POST answered (/api/tasks/3f2b8c1e-...).");

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Task not found", detail: $"No task has id {id}.");
}
