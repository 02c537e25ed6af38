using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AgentSystem.Testing.Containers.Modules;

/// <summary>
/// Just enough RESP (Redis' protocol) for housekeeping: send a command, read one reply. Keeps the library free of a
/// Redis client; the tests use the project's own (StackExchange.Redis) for real work.
/// </summary>
public sealed class RespClient : IAsyncDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly byte[] buffer = new byte[8192];
    private int start;
    private int end;

    private RespClient(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    public static async Task<RespClient> ConnectAsync(string host, int port, int database = 0, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            var client = new RespClient(tcp);
            if (database != 0)
            {
                await client.ExecuteAsync(["SELECT", database.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    public Task<string?> ExecuteAsync(params string[] arguments) => ExecuteAsync(arguments, CancellationToken.None);

    /// <summary>
    /// Sends one command; the reply as text (simple string, integer or bulk string), null for a null reply, an array's
    /// elements one per line. An error reply throws <see cref="RespErrorException"/>.
    /// </summary>
    public async Task<string?> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"*{arguments.Count}\r\n");
        foreach (var argument in arguments)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(argument)}\r\n{argument}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line.Length == 0)
        {
            throw new RespErrorException("empty reply line");
        }

        var rest = line[1..];
        switch (line[0])
        {
            case '+':
            case ':':
                return rest;
            case '-':
                throw new RespErrorException(rest);
            case '$':
                var length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                var bytes = await ReadExactlyAsync(length + 2, cancellationToken).ConfigureAwait(false);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }

                var items = new List<string?>(count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(await ReadReplyAsync(cancellationToken).ConfigureAwait(false));
                }

                return string.Join('\n', items);
            default:
                throw new RespErrorException($"unexpected reply: {line}");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= start)
            {
                var line = Encoding.UTF8.GetString(buffer, start, newline - start).TrimEnd('\r');
                start = newline + 1;
                return line;
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (start == end)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            var take = Math.Min(count - copied, end - start);
            Array.Copy(buffer, start, result, copied, take);
            start += take;
            copied += take;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (start > 0)
        {
            Array.Copy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        if (end == buffer.Length)
        {
            throw new RespErrorException("reply line longer than the buffer");
        }

        var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException("Redis closed the connection.");
        }

        end += read;
    }
}
