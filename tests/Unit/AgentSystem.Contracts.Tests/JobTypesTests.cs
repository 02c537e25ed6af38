using AgentSystem.Contracts;

namespace AgentSystem.Contracts.Tests;

public sealed class JobTypesTests
{
    [Theory]
    [InlineData("echo")]
    [InlineData("wordcount")]
    [InlineData("hash")]
    [InlineData("sleep")]
    [InlineData("llm")]
    [InlineData("fail")]
    public void IsKnown_accepts_every_listed_type(string type) => Assert.True(JobTypes.IsKnown(type));

    [Theory]
    [InlineData("Echo")]
    [InlineData("word count")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("unknown")]
    public void IsKnown_rejects_other_names(string? type) => Assert.False(JobTypes.IsKnown(type));

    [Fact]
    public void All_lists_the_six_types_once() =>
        Assert.Equal(["echo", "wordcount", "hash", "sleep", "llm", "fail"], JobTypes.All);
}
