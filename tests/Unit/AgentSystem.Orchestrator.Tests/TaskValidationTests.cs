using AgentSystem.Orchestrator.Model;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TaskValidationTests
{
    private const int MaxSleep = 300_000;

    [Fact]
    public void Valid_jobs_have_no_errors_and_are_normalised()
    {
        var errors = TaskValidation.Validate(
            new CreateTaskRequest([new JobRequest("echo", "hi"), new JobRequest("llm", null), new JobRequest("sleep", " 500\n")], null), MaxSleep, out var jobs);

        Assert.Empty(errors);
        Assert.NotNull(jobs);
        Assert.Equal(["hi", "", "500"], jobs.Select(j => j.Input));
    }

    [Fact]
    public void A_valid_goal_has_no_errors_and_no_jobs_yet()
    {
        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest(null, "do it"), MaxSleep, out var jobs));
        Assert.Null(jobs);
    }

    [Fact]
    public void Each_bad_job_is_named_by_its_index()
    {
        var errors = TaskValidation.Validate(
            new CreateTaskRequest([new JobRequest(" ", "x"), new JobRequest("hash", "x"), new JobRequest("ECHO", "x")], null), MaxSleep, out var jobs);

        Assert.Null(jobs);
        Assert.Equal(["jobs[0].type", "jobs[2].type"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("A job type is required.", Assert.Single(errors["jobs[0].type"]));
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("300000", true)]
    [InlineData("300001", false)]
    [InlineData("", false)]
    [InlineData("+5", false)]
    [InlineData("5e3", false)]
    [InlineData("٣", false)]
    public void Sleep_takes_whole_milliseconds_in_range(string input, bool valid) =>
        Assert.Equal(valid, TaskValidation.Validate(new CreateTaskRequest([new JobRequest("sleep", input)], null), MaxSleep, out _).Count == 0);

    [Fact]
    public void Input_size_is_counted_in_utf8_bytes()
    {
        var fits = new string('é', 32 * 1024);          // 64 KiB in UTF-8
        var over = fits + "e";

        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", fits)], null), MaxSleep, out _));
        Assert.Equal(["jobs[0].input"], TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", over)], null), MaxSleep, out _).Keys);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("abc-123", true)]
    [InlineData(" ", false)]
    public void Idempotency_keys_are_checked(string? key, bool valid) =>
        Assert.Equal(valid, TaskValidation.ValidateIdempotencyKey(key) is null);
}
