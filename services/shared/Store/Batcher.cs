using System.Diagnostics;
using System.Threading.Channels;

namespace AgentSystem.Store;

/// <summary>
/// Turns many concurrent single calls into few batched ones (group commit): items submitted while a batch is being
/// written wait and go together in the next, so a quiet worker writes each item at once and a busy one writes hundreds
/// per round trip. At most <c>concurrency</c> batches are in flight; a batch holds at most <c>maxBatch</c> items and
/// may take at most <c>writeTimeout</c> (a hung connection is abandoned). A failed batch fails each of its items' calls,
/// whose callers retry (and are batched again): the callers need no timer of their own. A batch's results may also
/// fail a single item (the result function throws for it). Each batch is a span of its own (a batch belongs to no
/// one caller's trace), linked to the trace of every item in it, so a request's trace leads to the batch that wrote it.
/// </summary>
public sealed class Batcher<TItem, TResult> : IAsyncDisposable
{
    private readonly string _name;
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<Func<TItem, TResult>>> _write;
    private readonly int _maxBatch;
    private readonly int _concurrency;
    private readonly TimeSpan _writeTimeout;
    private readonly SemaphoreSlim _slots;
    private readonly Channel<Entry> _pending = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private long _batches;
    private long _items;
    private int _waiting;   // a single-reader channel does not count its items

    /// <param name="write">Writes one batch and returns each item's result.</param>
    /// <param name="name">The batches' span name (e.g. "store results").</param>
    public Batcher(
        Func<IReadOnlyList<TItem>, CancellationToken, Task<Func<TItem, TResult>>> write, int maxBatch, int concurrency, TimeSpan writeTimeout, string name = "batch")
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(writeTimeout, TimeSpan.Zero);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
        _write = write;
        _maxBatch = maxBatch;
        _concurrency = concurrency;
        _writeTimeout = writeTimeout;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        // The batches belong to no caller: without this the pump would carry the first caller's context (its trace
        // among it) into every batch it writes.
        using (ExecutionContext.SuppressFlow())
        {
            _pump = Task.Run(PumpAsync);
        }
    }

    /// <summary>Batches written so far, and the items in them (diagnostics and tests).</summary>
    public (long Batches, long Items) Written => (Interlocked.Read(ref _batches), Interlocked.Read(ref _items));

    /// <summary>Items submitted and not yet taken into a batch (diagnostics and tests).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Adds <paramref name="item"/> to the next batch and waits for its result. A cancelled wait does not take the item
    /// back: the writes are idempotent, so an item written after its caller gave up does no harm.
    /// </summary>
    public Task<TResult> SubmitAsync(TItem item, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _waiting);
        if (!_pending.Writer.TryWrite(new Entry(item, done, Activity.Current?.Context ?? default)))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ObjectDisposedException(GetType().FullName);
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking items, cancels the batches in flight and waits for them (a stopped worker has none left).</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _stop.CancelAsync();
        await _pump;
        for (var i = 0; i < _concurrency; i++)
        {
            await _slots.WaitAsync();
        }

        _stop.Dispose();
        _slots.Dispose();
    }

    private async Task PumpAsync()
    {
        var reader = _pending.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                // A free slot first: while every slot is busy, submissions pile up into a bigger next batch.
                await _slots.WaitAsync(_stop.Token);
                var batch = new List<Entry>();
                while (batch.Count < _maxBatch && reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                Interlocked.Add(ref _waiting, -batch.Count);

                _ = WriteAsync(batch);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }

        while (reader.TryRead(out var left))
        {
            Interlocked.Decrement(ref _waiting);
            left.Done.TrySetException(new ObjectDisposedException(nameof(Batcher<TItem, TResult>)));
        }
    }

    private async Task WriteAsync(List<Entry> batch)
    {
        using var span = BatcherTelemetry.Source.StartActivity(
            _name, ActivityKind.Internal, parentContext: default, links: batch.Where(static entry => entry.Trace != default).Select(static entry => new ActivityLink(entry.Trace)));
        span?.SetTag("batch.size", batch.Count);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_writeTimeout);
            var results = await _write([.. batch.Select(entry => entry.Item)], timeout.Token);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _items, batch.Count);
            foreach (var (item, done, _) in batch)
            {
                SetResult(done, results, item);
            }
        }
        catch (Exception error)
        {
            span?.SetStatus(ActivityStatusCode.Error, error.Message);
            foreach (var (_, done, _) in batch)
            {
                done.TrySetException(error);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    // The results may fail one item (a task PostgreSQL rejected): only that item's call fails, not its batch-mates'.
    private static void SetResult(TaskCompletionSource<TResult> done, Func<TItem, TResult> results, TItem item)
    {
        try
        {
            done.TrySetResult(results(item));
        }
        catch (Exception error)
        {
            done.TrySetException(error);
        }
    }

    /// <summary>An item, its caller's wait, and the caller's trace (default: none) that the batch's span links to.</summary>
    private readonly record struct Entry(TItem Item, TaskCompletionSource<TResult> Done, ActivityContext Trace);
}
