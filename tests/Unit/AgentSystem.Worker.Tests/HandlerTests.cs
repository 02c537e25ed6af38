using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;

namespace AgentSystem.Worker.Tests;

public sealed class HandlerTests
{
    internal static JobMessage Job(string type, string input) => new(Guid.NewGuid(), Guid.NewGuid(), type, input, 1, null);

    [Theory]
    [InlineData("the quick  brown\tfox\n", "4")]
    [InlineData("one", "1")]
    [InlineData("   ", "0")]
    [InlineData("", "0")]
    public async Task WordCount_counts_whitespace_separated_words(string input, string expected) =>
        Assert.Equal(expected, await new WordCountHandler().HandleAsync(Job(JobTypes.WordCount, input), CancellationToken.None));

    [Theory]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public async Task Hash_is_lowercase_sha256_hex_of_utf8(string input, string expected) =>
        Assert.Equal(expected, await new HashHandler().HandleAsync(Job(JobTypes.Hash, input), CancellationToken.None));

    [Fact]
    public async Task Echo_returns_the_input_unchanged() =>
        Assert.Equal("héllo\n wörld", await new EchoHandler().HandleAsync(Job(JobTypes.Echo, "héllo\n wörld"), CancellationToken.None));

    [Fact]
    public void Registry_finds_handlers_by_type_and_not_unknown_types()
    {
        var registry = new JobHandlerRegistry([new EchoHandler(), new WordCountHandler(), new HashHandler()]);

        Assert.True(registry.TryGet("hash", out var handler));
        Assert.IsType<HashHandler>(handler);
        Assert.False(registry.TryGet("teleport", out _));
        Assert.False(registry.TryGet("Echo", out _));
    }

    [Fact]
    public void Registry_refuses_two_handlers_for_one_type()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new JobHandlerRegistry([new EchoHandler(), new EchoHandler()]));

        Assert.Contains("'echo'", error.Message, StringComparison.Ordinal);
    }
}
