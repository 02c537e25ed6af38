using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentSystem.Orchestrator.Apis;

public static class TasksApi
{
    public static RouteGroupBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/tasks").WithTags("Tasks");
        api.MapPost("/", CreateTaskAsync);
        api.MapGet("/{id:guid}", GetTaskAsync);
        return api;
    }

    public static async Task<Results<Accepted<TaskRecord>, ProblemHttpResult>> CreateTaskAsync(
        CreateTaskRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        var errors = TaskValidation.Validate(request);
        if (errors.Count > 0)
        {
            // 422, not the 400 of TypedResults.ValidationProblem: the JSON was well-formed, its content was not.
            return TypedResults.Problem(new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status422UnprocessableEntity });
        }

        var jobs = request.Jobs!.Select(job => new NewJob(job.Type!, job.Input ?? "")).ToList();
        var task = await store.CreateAsync(jobs, cancellationToken);
        return TypedResults.Accepted($"/tasks/{task.Id}", task);
    }

    public static async Task<Results<Ok<TaskRecord>, ProblemHttpResult>> GetTaskAsync(
        Guid id, ITaskStore store, CancellationToken cancellationToken)
    {
        var task = await store.FindAsync(id, cancellationToken);
        return task is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Task not found", detail: $"No task has id {id}.")
            : TypedResults.Ok(task);
    }
}
