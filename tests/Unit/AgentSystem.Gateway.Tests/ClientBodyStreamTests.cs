using System.IO.Pipelines;
using System.Text;
using AgentSystem.Gateway.Proxy;

namespace AgentSystem.Gateway.Tests;

/// <summary>The body stream the forwarder reads, over a pipe as Kestrel's: what it returns, and when it says it waited for the client.</summary>
public sealed class ClientBodyStreamTests
{
    private readonly Pipe _pipe = new();

    [Fact]
    public async Task A_zero_byte_read_waits_for_data_and_consumes_none()
    {
        var body = new ClientBodyStream(_pipe.Reader);
        var waiting = body.ReadAsync(Memory<byte>.Empty).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.True(body.WaitedForTheClient);

        await Write("hello");

        Assert.Equal(0, await waiting);
        Assert.False(body.WaitedForTheClient);
        Assert.Equal("hello", await ReadAsync(body, 16));
    }

    [Fact]
    public async Task A_read_smaller_than_what_came_leaves_the_rest_for_the_next()
    {
        var body = new ClientBodyStream(_pipe.Reader);
        await Write("abcdefgh");

        Assert.Equal("abc", await ReadAsync(body, 3));
        Assert.Equal("defgh", await ReadAsync(body, 16));
    }

    [Fact]
    public async Task The_end_of_the_body_reads_as_zero()
    {
        var body = new ClientBodyStream(_pipe.Reader);
        await Write("last");
        await _pipe.Writer.CompleteAsync();

        Assert.Equal("last", await ReadAsync(body, 16));
        Assert.Equal(0, await body.ReadAsync(new byte[16]));
        Assert.False(body.WaitedForTheClient);
    }

    [Fact]
    public async Task A_cancelled_read_counts_as_waiting_for_the_client_and_leaves_the_reader_usable()
    {
        var body = new ClientBodyStream(_pipe.Reader);
        using var timeout = new CancellationTokenSource();
        var waiting = body.ReadAsync(new byte[16], timeout.Token).AsTask();

        await timeout.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.True(body.WaitedForTheClient);
        // The reader is not left mid-read (what Kestrel's drain of the rest needs): a new read gets what comes.
        await Write("late");
        Assert.Equal("late", Encoding.ASCII.GetString((await _pipe.Reader.ReadAsync()).Buffer));
    }

    private async Task Write(string text) => await _pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(text));

    private static async Task<string> ReadAsync(Stream body, int size)
    {
        var buffer = new byte[size];
        var read = await body.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
