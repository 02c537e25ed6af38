using AgentSystem.ServiceDefaults;

namespace AgentSystem.ServiceDefaults.Tests;

/// <summary>The shared event writer (the task events' stream), alone.</summary>
public sealed class EventStreamTests
{
    /// <summary>helper-92: a 1 MB task written at once stayed in Kestrel's buffers, a copy per stream that did not read.</summary>
    [Fact]
    public async Task A_large_event_is_written_in_slices_each_flushed_before_the_next()
    {
        var data = Enumerable.Range(0, (2 * EventStream.SliceBytes) + 100).Select(i => (byte)i).ToArray();
        byte[][] parts = ["event: task\ndata: "u8.ToArray(), data, "\n\n"u8.ToArray()];
        var body = new RecordingStream();

        await EventStream.WriteAsync(body, parts, CancellationToken.None);

        Assert.Equal(parts.SelectMany(p => p), body.Written.ToArray());
        Assert.Equal(3, body.Flushes.Count);
        Assert.All(body.Flushes, unflushed => Assert.InRange(unflushed, 1, EventStream.SliceBytes));
        Assert.Equal(0, body.Unflushed);
    }

    [Fact]
    public async Task A_small_event_is_one_flush()
    {
        var body = new RecordingStream();

        await EventStream.WriteAsync(body, [": keep-alive\n\n"u8.ToArray()], CancellationToken.None);

        Assert.Equal([14], body.Flushes);
    }

    /// <summary>Keeps what is written and, at each flush, how many bytes came since the last one.</summary>
    private sealed class RecordingStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public List<int> Flushes { get; } = [];

        public int Unflushed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written.Length;

        public override long Position { get => Written.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Written.Write(buffer, offset, count);
            Unflushed += count;
        }

        public override void Flush()
        {
            Flushes.Add(Unflushed);
            Unflushed = 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
