namespace AgentSystem.Contracts.Tests;

public sealed class LimitsTests
{
    [Fact]
    public void An_llm_jobs_input_is_held_to_a_chat_message_and_other_jobs_to_the_input_limit()
    {
        Assert.Equal(Limits.MaxChatMessageBytes, Limits.MaxInputBytes(JobTypes.Llm));
        Assert.All(JobTypes.All.Where(type => type != JobTypes.Llm), type => Assert.Equal(Limits.MaxJobInputBytes, Limits.MaxInputBytes(type)));
    }

    [Fact]
    public void The_largest_task_fits_the_body_limit_with_every_character_of_its_inputs_escaped() =>
        Assert.True((Limits.MaxTaskInputBytes * 6L) + (Limits.MaxJobsPerTask * 64L) < Limits.MaxRequestBodyBytes);

    [Theory]
    [InlineData("", 10, null)]
    [InlineData("0123456789", 10, null)]
    [InlineData("0123456789a", 10, "The input is 11 bytes of UTF-8; at most 10 bytes are allowed.")]
    [InlineData("ééééé", 10, null)]
    [InlineData("éééééé", 10, "The input is 12 bytes of UTF-8; at most 10 bytes are allowed.")]
    [InlineData("ab\0c", 10, "The input contains a NUL character (U+0000) at position 2; text may hold any other character.")]
    [InlineData("\t\r\n\u0001\u001b\u007f\uFFFD", 20, null)]
    public void Text_is_refused_for_a_NUL_or_for_its_size_in_bytes(string text, int maxBytes, string? problem) =>
        Assert.Equal(problem, Limits.TextProblem(text, maxBytes, "the input"));

    [Theory]
    [InlineData(1L, "1 bytes")]
    [InlineData(1000L, "1,000 bytes")]
    [InlineData(65_536L, "65,536 bytes (64 KiB)")]
    [InlineData(65_538L, "65,538 bytes")]
    [InlineData(8_388_608L, "8,388,608 bytes (8,192 KiB)")]
    public void Sizes_are_said_in_bytes(long bytes, string text) => Assert.Equal(text, Limits.BytesText(bytes));
}
