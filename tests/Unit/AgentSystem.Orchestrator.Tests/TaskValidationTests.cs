using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using Microsoft.Extensions.Primitives;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TaskValidationTests
{
    [Fact]
    public void Valid_jobs_have_no_errors_and_are_normalised()
    {
        var errors = TaskValidation.Validate(
            new CreateTaskRequest([new JobRequest("echo", "hi"), new JobRequest("echo", null), new JobRequest("sleep", " 500\n"), new JobRequest("llm", "a prompt")], null), out var jobs);

        Assert.Empty(errors);
        Assert.NotNull(jobs);
        Assert.Equal(["hi", "", "500", "a prompt"], jobs.Select(j => j.Input));
    }

    [Fact]
    public void A_valid_goal_has_no_errors_and_no_jobs_yet()
    {
        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest(null, "do it"), out var jobs));
        Assert.Null(jobs);
    }

    [Fact]
    public void Each_bad_job_is_named_by_its_index()
    {
        var errors = TaskValidation.Validate(
            new CreateTaskRequest([new JobRequest(" ", "x"), new JobRequest("hash", "x"), new JobRequest("ECHO", "x")], null), out var jobs);

        Assert.Null(jobs);
        Assert.Equal(["jobs[0].type", "jobs[2].type"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("A job type is required.", Assert.Single(errors["jobs[0].type"]));
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("60000", true)]
    [InlineData("60001", false)]
    [InlineData("", false)]
    [InlineData("+5", false)]
    [InlineData("5e3", false)]
    [InlineData("٣", false)]
    public void Sleep_takes_whole_milliseconds_up_to_the_workers_limit(string input, bool valid) =>
        Assert.Equal(valid, TaskValidation.Validate(new CreateTaskRequest([new JobRequest("sleep", input)], null), out _).Count == 0);

    [Fact]
    public void Input_size_is_counted_in_utf8_bytes_and_said_in_bytes()
    {
        var fits = new string('é', 32 * 1024);          // 64 KiB in UTF-8
        var over = fits + "ee";

        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", fits)], null), out _));
        var error = TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", over)], null), out _);
        Assert.Equal("The input is 65,538 bytes of UTF-8; at most 65,536 bytes (64 KiB) are allowed.", Assert.Single(error["jobs[0].input"]));
    }

    [Fact]
    public void A_tasks_inputs_together_are_held_to_1_MiB_in_utf8_bytes()
    {
        var full = new string('é', Limits.MaxJobInputBytes / 2);
        var sixteen = Enumerable.Repeat(new JobRequest("echo", full), 16).ToList();

        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest(sixteen, null), out _));
        var errors = TaskValidation.Validate(new CreateTaskRequest([.. sixteen, new JobRequest("echo", "é")], null), out var jobs);
        Assert.Null(jobs);
        Assert.Equal(
            "The jobs' inputs come to 1,048,578 bytes of UTF-8; at most 1,048,576 bytes (1,024 KiB) are allowed in all. Split the work into several tasks.",
            Assert.Single(errors["jobs"]));
    }

    [Fact]
    public void An_llm_input_is_held_to_chats_message_limit()
    {
        var fits = new string('x', Limits.MaxChatMessageBytes);

        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest([new JobRequest("llm", fits)], null), out _));
        var errors = TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", fits + "x"), new JobRequest("llm", fits + "x")], null), out _);
        Assert.Equal(["jobs[1].input"], errors.Keys);
        Assert.Contains("32,768 bytes (32 KiB)", errors["jobs[1].input"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sleeps", "Unknown job type 'sleeps'. Did you mean 'sleep'? Known types: echo, wordcount, hash, sleep, llm, fail.")]
    [InlineData("wrodcount", "Unknown job type 'wrodcount'. Did you mean 'wordcount'? Known types: echo, wordcount, hash, sleep, llm, fail.")]
    [InlineData("translate", "Unknown job type 'translate'. Known types: echo, wordcount, hash, sleep, llm, fail.")]
    public void An_unknown_type_suggests_the_closest_known_one(string type, string expected) =>
        Assert.Equal(expected, Assert.Single(TaskValidation.Validate(new CreateTaskRequest([new JobRequest(type, "x")], null), out _)["jobs[0].type"]));

    [Fact]
    public void An_unknown_type_is_quoted_shortened_and_never_cut_inside_a_character()
    {
        var type = new string('t', 39) + "\U0001F600" + new string('u', 10);

        var message = Assert.Single(TaskValidation.Validate(new CreateTaskRequest([new JobRequest(type, "x")], null), out _)["jobs[0].type"]);

        Assert.StartsWith($"Unknown job type '{new string('t', 39)}…'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n ")]
    public void An_llm_job_needs_a_prompt(string input) =>
        Assert.Equal(["jobs[0].input"], TaskValidation.Validate(new CreateTaskRequest([new JobRequest("llm", input)], null), out _).Keys);

    [Fact]
    public void A_nul_character_is_refused_wherever_text_is_stored()
    {
        var job = TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", "a\0b")], null), out _);
        var goal = TaskValidation.Validate(new CreateTaskRequest(null, "count\0 this"), out _);
        var planned = TaskValidation.ValidateJobs([new JobRequest("hash", "\0")], out _);

        Assert.Equal("The input contains a NUL character (U+0000) at position 1; text may hold any other character.", Assert.Single(job["jobs[0].input"]));
        Assert.Contains("NUL", Assert.Single(goal["goal"]), StringComparison.Ordinal);
        Assert.Equal(["jobs[0].input"], planned.Keys);
        // Other control characters are text like any other.
        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest([new JobRequest("echo", "tab\there\u0001\u001b[0m")], null), out _));
    }

    [Fact]
    public void A_fail_job_is_accepted_with_any_input() =>
        Assert.Empty(TaskValidation.Validate(new CreateTaskRequest([new JobRequest("fail", "because"), new JobRequest("fail", null)], null), out _));

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "abc-123" }, true)]
    [InlineData(new[] { "with space and ~!@#$%^&*()" }, true)]
    [InlineData(new[] { " " }, false)]
    [InlineData(new[] { "a", "b" }, false)]
    [InlineData(new[] { "a, b" }, false)]
    [InlineData(new[] { "tab\there" }, false)]
    [InlineData(new[] { "nul\0" }, false)]
    [InlineData(new[] { "del\u007f" }, false)]
    [InlineData(new[] { "café" }, false)]
    public void Idempotency_keys_are_one_value_of_printable_ascii(string[] values, bool valid) =>
        Assert.Equal(valid, TaskValidation.ValidateIdempotencyKey(new StringValues(values)) is null);

    [Fact]
    public void Idempotency_keys_are_bounded()
    {
        Assert.Null(TaskValidation.ValidateIdempotencyKey(new string('k', TaskLimits.MaxIdempotencyKeyLength)));
        Assert.Contains("201 characters", TaskValidation.ValidateIdempotencyKey(new string('k', TaskLimits.MaxIdempotencyKeyLength + 1)), StringComparison.Ordinal);
    }
}
