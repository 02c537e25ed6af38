using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>The shared body reader (the orchestrator's and chat's POSTs), alone.</summary>
public sealed class JsonBodyTests
{
    private static readonly JsonTypeInfo<Dictionary<string, string>> Shape =
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

    private static HttpRequest Request(byte[] body, long? contentLength)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = contentLength;
        context.Request.Body = new MemoryStream(body);
        return context.Request;
    }
}
