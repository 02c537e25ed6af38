using AgentSystem.Orchestrator.Model;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TaskValidationTests
{
    [Fact]
    public void Valid_request_has_no_errors() =>
        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", "hi"), new JobRequest("llm", null)])));

    [Fact]
    public void Missing_jobs_is_an_error_on_jobs() =>
        Assert.Equal(["jobs"], TaskValidation.Validate(new CreateTaskRequest(null)).Keys);

    [Fact]
    public void Each_bad_job_is_named_by_its_index()
    {
        var errors = TaskValidation.Validate(new CreateTaskRequest([new JobRequest(" ", "x"), new JobRequest("hash", "x"), new JobRequest("ECHO", "x")]));

        Assert.Equal(["jobs[0].type", "jobs[2].type"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("A job type is required.", Assert.Single(errors["jobs[0].type"]));
    }
}
