namespace AgentSystem.Store.Tests;

public sealed class BatcherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_batch_over_its_write_timeout_fails_its_calls_with_a_cancellation_and_the_next_batch_is_written()
    {
        var calls = 0;
        await using var batcher = new Batcher<int, int>(
            async (batch, ct) =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);   // a hung connection
                }

                return item => item;
            },
            maxBatch: 10,
            concurrency: 1,
            writeTimeout: TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.SubmitAsync(1, CancellationToken.None));
        Assert.Equal(2, await batcher.SubmitAsync(2, CancellationToken.None));
    }

    [Fact]
    public async Task Items_submitted_while_a_batch_is_written_go_together_in_the_next()
    {
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstWrite = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<int[]>();
        await using var batcher = new Batcher<int, int>(
            async (batch, ct) =>
            {
                lock (batches)
                {
                    batches.Add([.. batch]);
                }

                if (batches.Count == 1)
                {
                    firstStarted.SetResult();
                    await firstWrite.Task.WaitAsync(ct);
                }

                return item => item * 10;
            },
            maxBatch: 100,
            concurrency: 1,
            writeTimeout: Timeout);

        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await firstStarted.Task.WaitAsync(Timeout);
        var waiting = Enumerable.Range(2, 20).Select(item => batcher.SubmitAsync(item, CancellationToken.None)).ToArray();
        Assert.Equal(20, batcher.Waiting);   // the only slot is the first write's
        firstWrite.SetResult();

        Assert.Equal(10, await first);
        Assert.Equal(Enumerable.Range(2, 20).Select(item => item * 10), await Task.WhenAll(waiting));
        Assert.Equal([[1], [.. Enumerable.Range(2, 20)]], batches);
        Assert.Equal((2, 21), batcher.Written);
        Assert.Equal(0, batcher.Waiting);
    }

    [Fact]
    public async Task A_batch_holds_at_most_max_batch_items()
    {
        var sizes = new List<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new Batcher<int, bool>(
            async (batch, ct) =>
            {
                lock (sizes)
                {
                    sizes.Add(batch.Count);
                }

                await gate.Task.WaitAsync(ct);
                return static _ => true;
            },
            maxBatch: 3,
            concurrency: 1,
            writeTimeout: Timeout);

        var calls = Enumerable.Range(0, 10).Select(item => batcher.SubmitAsync(item, CancellationToken.None)).ToArray();
        gate.SetResult();
        await Task.WhenAll(calls);

        Assert.All(sizes, size => Assert.InRange(size, 1, 3));
        Assert.Equal(10, sizes.Sum());
    }

    [Fact]
    public async Task A_failed_batch_fails_each_of_its_calls_and_the_next_batch_is_written()
    {
        var calls = 0;
        await using var batcher = new Batcher<int, int>(
            (batch, ct) => Interlocked.Increment(ref calls) == 1
                ? throw new InvalidOperationException("database down")
                : Task.FromResult<Func<int, int>>(item => item),
            maxBatch: 10,
            concurrency: 1,
            writeTimeout: Timeout);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SubmitAsync(1, CancellationToken.None));
        Assert.Equal("database down", error.Message);
        Assert.Equal(2, await batcher.SubmitAsync(2, CancellationToken.None));
    }

    [Fact]
    public async Task A_result_that_fails_one_item_fails_only_that_items_call()
    {
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new Batcher<int, int>(
            async (batch, ct) =>
            {
                firstStarted.TrySetResult();
                await release.Task.WaitAsync(ct);
                return item => item == 2 ? throw new ArgumentException("rejected") : item;
            },
            maxBatch: 10,
            concurrency: 1,
            writeTimeout: Timeout);

        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await firstStarted.Task.WaitAsync(Timeout);
        var together = new[] { batcher.SubmitAsync(2, CancellationToken.None), batcher.SubmitAsync(3, CancellationToken.None) };
        release.SetResult();

        Assert.Equal(1, await first);
        await Assert.ThrowsAsync<ArgumentException>(() => together[0]);
        Assert.Equal(3, await together[1]);
        Assert.Equal((2L, 3L), batcher.Written);
    }

    [Fact]
    public async Task After_dispose_nothing_is_taken()
    {
        var batcher = new Batcher<int, int>((batch, ct) => Task.FromResult<Func<int, int>>(item => item), maxBatch: 10, concurrency: 2, writeTimeout: Timeout);
        await batcher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.SubmitAsync(1, CancellationToken.None));
        Assert.Equal(0, batcher.Waiting);
    }

    [Fact]
    public async Task Items_still_waiting_at_dispose_fail_and_are_no_longer_counted()
    {
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new Batcher<int, int>(
            async (batch, ct) =>
            {
                writing.TrySetResult();
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);   // held until the dispose cancels it
                return item => item;
            },
            maxBatch: 10,
            concurrency: 1,
            writeTimeout: Timeout);
        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await writing.Task.WaitAsync(Timeout);
        var left = new[] { batcher.SubmitAsync(2, CancellationToken.None), batcher.SubmitAsync(3, CancellationToken.None) };
        Assert.Equal(2, batcher.Waiting);

        await batcher.DisposeAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        foreach (var call in left)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => call);
        }

        Assert.Equal(0, batcher.Waiting);
    }
}
