using System.Buffers;
using System.IO.Pipelines;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// A read of a request body from Kestrel's pipe that a token can end. Kestrel leaves a read its own token cancelled
/// marked as in progress, and its drain of the rest of the body after the answer then fails: an error with a stack
/// trace in the log and the connection closed, for every client whose body stopped (dotnet/aspnetcore#17840). Cancelled
/// through the pipe instead, the reader is left as a finished read leaves it.
/// </summary>
public static class RequestBodyReads
{
    /// <summary>
    /// Up to <paramref name="destination"/>'s length of what has come (0 at the body's end; a zero-byte read waits for
    /// data and consumes none); <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> ends it first.
    /// </summary>
    public static async ValueTask<int> ReadAsync(PipeReader body, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ReadResult result;
        using (cancellationToken.UnsafeRegister(CancelRead, body))
        {
            result = await body.ReadAsync(CancellationToken.None);
        }

        if (result.IsCanceled)
        {
            body.AdvanceTo(result.Buffer.Start);
            throw new OperationCanceledException(cancellationToken);
        }

        var available = result.Buffer;
        var length = (int)Math.Min(available.Length, destination.Length);
        available.Slice(0, length).CopyTo(destination.Span);
        body.AdvanceTo(available.GetPosition(length));
        return length;
    }

    // Kestrel's reader refuses a cancel once the request is aborted (a client's reset stream), and a callback's throw
    // would reach whoever cancelled: a timeout's timer, or Kestrel's abort, which logs it as an error.
    private static void CancelRead(object? reader)
    {
        try
        {
            ((PipeReader)reader!).CancelPendingRead();
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // Aborted already: the read ends on its own.
        }
    }
}
