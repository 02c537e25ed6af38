using AgentSystem.Contracts;
using AgentSystem.Load.Scenarios;

namespace AgentSystem.Load.Tests;

/// <summary>A phase's rows: created up front for a short run, in chunks while a long one runs.</summary>
public sealed class TaskSupplyTests
{
    private readonly List<int> _asked = [];
    private int _announced;
    private int _next;

    /// <summary>Each call creates its tasks after <see cref="_gate"/> (when set) completes.</summary>
    private TaskCompletionSource? _gate;

    private Func<CancellationToken, Task>? _before;

    private async Task<IReadOnlyList<JobMessage[]>> CreateAsync(int tasks, CancellationToken cancellationToken)
    {
        lock (_asked)
        {
            _asked.Add(tasks);
        }

        if (_before is { } before)
        {
            await before(cancellationToken);
        }

        if (_gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return [.. Enumerable.Range(0, tasks).Select(_ => Task(Interlocked.Increment(ref _next)))];
    }

    private static JobMessage[] Task(int number) =>
        [new JobMessage(Guid.NewGuid(), new Guid(number, 0, 0, new byte[8]), JobTypes.Echo, "load", 1, null)];

    private static int Number(JobMessage[] task) => BitConverter.ToInt32(task[0].TaskId.ToByteArray(), 0);

    private TaskSupply Supply(int chunk) => new(CreateAsync, chunk, () => Interlocked.Increment(ref _announced));

    [Fact]
    public async Task Rows_created_up_front_are_taken_in_order_and_no_more_are_made_while_a_chunk_is_left()
    {
        await using var supply = Supply(chunk: 2);
        await supply.FillAsync(5, CancellationToken.None);

        var taken = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            taken.Add(Number(await supply.TakeAsync(CancellationToken.None)));
        }

        Assert.Equal([1, 2, 3], taken);
        Assert.Equal([5], _asked);
        Assert.Equal(0, _announced);
        Assert.Equal(2, supply.Left);
    }

    [Fact]
    public async Task Running_low_creates_one_chunk_in_the_background_and_says_so_once()
    {
        await using var supply = Supply(chunk: 3);
        await supply.FillAsync(4, CancellationToken.None);
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Below three left after the second take: one chunk starts; the takes while it runs start no other.
        var first = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 4).Select(_ => supply.TakeAsync(CancellationToken.None).AsTask()));
        Assert.Equal([4, 3], _asked);
        Assert.Equal(0, supply.Left);

        _gate.SetResult();
        var next = await supply.TakeAsync(CancellationToken.None);

        Assert.Equal([1, 2, 3, 4], first.Select(Number).Order());
        Assert.Equal(5, Number(next));
        Assert.Equal(1, _announced);
        Assert.Equal([4, 3], _asked);
    }

    [Fact]
    public async Task A_step_finding_no_rows_waits_for_the_chunk_being_created()
    {
        await using var supply = Supply(chunk: 2);
        await supply.FillAsync(1, CancellationToken.None);
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Assert.Equal(1, Number(await supply.TakeAsync(CancellationToken.None)));
        var waiting = supply.TakeAsync(CancellationToken.None).AsTask();
        await System.Threading.Tasks.Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        _gate.SetResult();
        Assert.Equal(2, Number(await waiting));
    }

    [Fact]
    public async Task A_failed_chunk_fails_the_step_waiting_for_it_and_the_next_take_creates_it_again()
    {
        await using var supply = Supply(chunk: 2);
        var failures = 1;
        _before = _ => Interlocked.Decrement(ref failures) >= 0
            ? throw new InvalidOperationException("PostgreSQL went away")
            : System.Threading.Tasks.Task.CompletedTask;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => supply.TakeAsync(CancellationToken.None).AsTask());
        var task = await supply.TakeAsync(CancellationToken.None);

        Assert.Equal("PostgreSQL went away", error.Message);
        Assert.Equal(1, Number(task));
        Assert.Equal([2, 2], _asked);
    }

    [Fact]
    public async Task Disposing_cancels_the_chunk_being_created_and_waits_for_it()
    {
        var supply = Supply(chunk: 2);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _before = async token =>
        {
            try
            {
                await System.Threading.Tasks.Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }
        };

        var waiting = supply.TakeAsync(CancellationToken.None).AsTask();
        await supply.DisposeAsync();
        await supply.DisposeAsync();

        Assert.True(cancelled.Task.IsCompleted);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
