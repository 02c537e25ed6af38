using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace AgentSystem.ServiceDefaults.Tests;

/// <summary>The shared body reader (the orchestrator's and chat's POSTs), alone.</summary>
public sealed class JsonBodyTests
{
    internal static readonly JsonTypeInfo<Dictionary<string, string>> Shape =
        (JsonTypeInfo<Dictionary<string, string>>)JsonSerializerOptions.Default.GetTypeInfo(typeof(Dictionary<string, string>));

    [Fact]
    public async Task A_body_announced_large_takes_memory_as_its_bytes_arrive_not_as_announced()
    {
        // A client can announce 8 MiB and send a few bytes a second: each such connection held the announced size.
        var request = Request("""{ "goal": "x" }"""u8.ToArray(), contentLength: 8 * 1024 * 1024);

        // The body stream completes synchronously, so the whole read runs on this thread and its allocations count here.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (value, error) = await JsonBody.ReadAsync(request, Shape, maxBytes: 8 * 1024 * 1024, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(error);
        Assert.Equal("x", value!["goal"]);
        Assert.InRange(allocated, 0, 4 * JsonBody.FirstBufferBytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_larger_than_the_first_buffer_is_read_whole(bool announced)
    {
        var text = new string('y', 3 * JsonBody.FirstBufferBytes);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["goal"] = text });
        var request = Request(body, announced ? body.Length : null);

        var (value, error) = await JsonBody.ReadAsync(request, Shape, maxBytes: 1024 * 1024, CancellationToken.None);

        Assert.Null(error);
        Assert.Equal(text, value!["goal"]);
    }

    /// <summary>helper-92: most of a large body at once, then a byte every 20 s, held the orchestrator's memory for hours.</summary>
    [Fact]
    public async Task A_body_that_stops_arriving_is_refused_with_408_when_its_time_is_up()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("{ \"goal\": \""u8.ToArray());   // and then nothing, the connection left open
        var request = Request([], contentLength: 100);
        request.Body = pipe.Reader.AsStream();

        var (value, error) = await JsonBody.ReadAsync(request, Shape, maxBytes: 1024, CancellationToken.None, arrivalTimeout: TimeSpan.FromMilliseconds(200))
            .WaitAsync(TimeSpan.FromSeconds(30));   // fails, rather than hangs, if the deadline does not hold

        Assert.Null(value);
        Assert.Equal(StatusCodes.Status408RequestTimeout, error!.StatusCode);
        Assert.Equal("A request body must arrive whole within 0.2 s; 11 of 100 bytes came.", error.ProblemDetails.Detail);
    }

    /// <summary>helper-93: past the budget a body could never be read, and was told to try again in 5 s, for ever.</summary>
    [Fact]
    public async Task A_body_larger_than_the_whole_budget_is_too_large_not_busy()
    {
        var buffers = new BodyBuffers(2 * JsonBody.FirstBufferBytes);
        var large = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["goal"] = new string('y', 4 * JsonBody.FirstBufferBytes) });

        var (_, error) = await JsonBody.ReadAsync(Request(large, large.Length), Shape, maxBytes: 1024 * 1024, CancellationToken.None, buffers: buffers);

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, error!.StatusCode);
        Assert.Equal("At most 65,536 bytes are accepted.", error.ProblemDetails.Detail);
        Assert.Equal(0, buffers.Taken);
    }

    [Fact]
    public async Task A_caller_that_gives_up_is_no_timeout()
    {
        var pipe = new Pipe();
        var request = Request([], contentLength: 100);
        request.Body = pipe.Reader.AsStream();
        using var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => JsonBody.ReadAsync(request, Shape, maxBytes: 1024, gone.Token, arrivalTimeout: TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Bodies_past_their_first_buffer_share_a_budget_and_one_that_finds_it_spent_is_refused_with_503()
    {
        var buffers = new BodyBuffers(4 * JsonBody.FirstBufferBytes);
        var large = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["goal"] = new string('y', 3 * JsonBody.FirstBufferBytes) });
        var small = """{ "goal": "x" }"""u8.ToArray();

        // With the budget free a large body is read, and what it borrowed is given back.
        var (read, readError) = await JsonBody.ReadAsync(Request(large, large.Length), Shape, maxBytes: 1024 * 1024, CancellationToken.None, buffers: buffers);
        Assert.Null(readError);
        Assert.NotNull(read);
        Assert.Equal(0, buffers.Taken);

        // Held by bodies still arriving: a large one is refused, with when to try again; a small one needs none of it.
        Assert.True(buffers.TryTake(3 * JsonBody.FirstBufferBytes));
        var refused = Request(large, large.Length);
        var (_, busy) = await JsonBody.ReadAsync(refused, Shape, maxBytes: 1024 * 1024, CancellationToken.None, buffers: buffers);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, busy!.StatusCode);
        Assert.Equal("5", refused.HttpContext.Response.Headers.RetryAfter.ToString());
        Assert.Equal(3 * JsonBody.FirstBufferBytes, buffers.Taken);

        var (value, smallError) = await JsonBody.ReadAsync(Request(small, small.Length), Shape, maxBytes: 1024 * 1024, CancellationToken.None, buffers: buffers);
        Assert.Null(smallError);
        Assert.Equal("x", value!["goal"]);
    }

    /// <summary>helper-93: the buffer grew first and the budget was asked after, so each refused body allocated the growth once.</summary>
    [Fact]
    public async Task A_body_the_budget_refuses_allocates_nothing_past_its_first_buffer()
    {
        var buffers = new BodyBuffers(4 * JsonBody.FirstBufferBytes);
        Assert.True(buffers.TryTake(4 * JsonBody.FirstBufferBytes));
        var large = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["goal"] = new string('y', 3 * JsonBody.FirstBufferBytes) });
        var request = Request(large, large.Length);

        // The body stream completes synchronously, so the whole read runs on this thread and its allocations count here.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (_, error) = await JsonBody.ReadAsync(request, Shape, maxBytes: 1024 * 1024, CancellationToken.None, buffers: buffers);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, error!.StatusCode);
        Assert.InRange(allocated, JsonBody.FirstBufferBytes, JsonBody.FirstBufferBytes + 16 * 1024);
    }

    [Fact]
    public async Task A_body_without_a_length_past_the_limit_is_too_large()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["goal"] = new string('y', 100_000) });

        var (_, error) = await JsonBody.ReadAsync(Request(body, contentLength: null), Shape, maxBytes: 99_999, CancellationToken.None);

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, error!.StatusCode);
    }

    private static HttpRequest Request(byte[] body, long? contentLength)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = contentLength;
        context.Request.Body = new MemoryStream(body);
        return context.Request;
    }
}
