using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Model;

public static class TaskValidation
{
    /// <summary>Returns the errors keyed by JSON path ("jobs", "jobs[0].type"); empty when the request is valid.</summary>
    public static Dictionary<string, string[]> Validate(CreateTaskRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.Jobs is not { Count: > 0 } jobs)
        {
            errors["jobs"] = ["At least one job is required."];
            return errors;
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            var type = jobs[i]?.Type;
            if (string.IsNullOrWhiteSpace(type))
            {
                errors[$"jobs[{i}].type"] = ["A job type is required."];
            }
            else if (!JobTypes.IsKnown(type))
            {
                errors[$"jobs[{i}].type"] = [$"Unknown job type '{type}'. Known types: {string.Join(", ", JobTypes.All)}."];
            }
        }

        return errors;
    }
}
