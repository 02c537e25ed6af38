using AgentSystem.Contracts;
using AgentSystem.Load.Scenarios;

namespace AgentSystem.Load.Tests;

/// <summary>A phase's rows: all created before a short phase, the rest in chunks while a long one runs.</summary>
public sealed class TaskSupplyTests
{
    private readonly List<int> _asked = [];
    private readonly List<string> _logged = [];
    private int _next;

    /// <summary>When set, each creation waits for it after being asked.</summary>
    private TaskCompletionSource? _gate;

    /// <summary>Completed when a creation is asked for (reset by the test before the next).</summary>
    private TaskCompletionSource _askedFor = NewSignal();

    private Func<CancellationToken, Task>? _before;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<IReadOnlyList<JobMessage[]>> CreateAsync(int tasks, CancellationToken cancellationToken)
    {
        lock (_asked)
        {
            _asked.Add(tasks);
        }

        _askedFor.TrySetResult();
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

    private TaskSupply Supply(int total, int upFront, int chunk) => new(CreateAsync, total, upFront, chunk, line =>
    {
        lock (_logged)
        {
            _logged.Add(line);
        }
    });

    private static async Task<List<int>> TakeAsync(TaskSupply supply, int count)
    {
        var taken = new List<int>();
        for (var i = 0; i < count; i++)
        {
            taken.Add(Number(await supply.TakeAsync(CancellationToken.None)));
        }

        return taken;
    }

    [Fact]
    public async Task A_short_phase_has_every_row_created_before_it_and_none_while_it_runs()
    {
        await using var supply = Supply(total: 5, upFront: 5, chunk: 10);
        await supply.FillAsync(CancellationToken.None);

        var taken = await TakeAsync(supply, 5);

        Assert.Equal([1, 2, 3, 4, 5], taken);
        Assert.Equal([5], _asked);
        Assert.Empty(_logged);
    }

    [Fact]
    public async Task Running_low_creates_one_chunk_in_the_background_and_says_so_once()
    {
        await using var supply = Supply(total: 20, upFront: 4, chunk: 3);
        await supply.FillAsync(CancellationToken.None);
        _gate = NewSignal();
        _askedFor = NewSignal();

        // Below three left after the second take: one chunk starts; the takes while it runs start no other.
        var first = await TakeAsync(supply, 4);
        await _askedFor.Task;
        var next = supply.TakeAsync(CancellationToken.None).AsTask();
        _gate.SetResult();

        Assert.Equal([1, 2, 3, 4], first);
        Assert.Equal(5, Number(await next));
        Assert.Equal([4, 3], _asked[..2]);
        Assert.Single(_logged);
        Assert.Contains("while the phase runs", _logged[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunks_stop_at_the_phases_total_and_the_last_is_what_is_left_of_it()
    {
        await using var supply = Supply(total: 7, upFront: 3, chunk: 3);
        await supply.FillAsync(CancellationToken.None);

        var taken = await TakeAsync(supply, 7);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], taken);
        Assert.Equal([3, 3, 1], _asked);
    }

    [Fact]
    public async Task A_phase_faster_than_its_rows_were_sized_for_waits_for_a_chunk_beyond_the_total()
    {
        await using var supply = Supply(total: 2, upFront: 2, chunk: 3);
        await supply.FillAsync(CancellationToken.None);
        _gate = NewSignal();

        var taken = await TakeAsync(supply, 2);
        Assert.Equal(0, supply.Waited.Takes);
        var waiting = supply.TakeAsync(CancellationToken.None).AsTask();
        await _askedFor.Task;
        Assert.False(waiting.IsCompleted);
        _gate.SetResult();

        Assert.Equal([1, 2], taken);
        Assert.Equal(3, Number(await waiting));
        Assert.Equal([2, 3], _asked);
        // Counted, so that the report can say the phase's rate is understated.
        Assert.Equal(1, supply.Waited.Takes);
        Assert.True(supply.Waited.Time > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_warm_up_that_took_more_than_it_was_sized_for_gets_the_measured_parts_rows_before_it()
    {
        await using var supply = Supply(total: 3, upFront: 3, chunk: 4);
        await supply.FillAsync(CancellationToken.None);

        // The warm-up ran longer (a JIT compiler was busy): 5 taken, one chunk beyond the total (2 of it left).
        var warmUp = await TakeAsync(supply, 5);
        await supply.ReadyForAsync(3, upFrontNow: 3, CancellationToken.None);
        var measured = await TakeAsync(supply, 3);

        Assert.Equal([1, 2, 3, 4, 5], warmUp);
        Assert.Equal([6, 7, 8], measured);
        Assert.Equal([3, 4, 1], _asked);   // the missing one created before the measured part, none while it ran
    }

    [Fact]
    public async Task A_long_measured_part_gets_its_up_front_rows_before_it_and_the_rest_while_it_runs()
    {
        await using var supply = Supply(total: 2, upFront: 2, chunk: 3);
        await supply.FillAsync(CancellationToken.None);
        await TakeAsync(supply, 2);

        await supply.ReadyForAsync(8, upFrontNow: 2, CancellationToken.None);
        var measured = await TakeAsync(supply, 8);

        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 10], measured);
        Assert.Equal([2, 2, 3, 3], _asked);   // two now (the up-front count), then chunks up to the new total of eight
    }

    [Fact]
    public async Task A_measured_part_sized_up_after_the_warm_up_gets_its_larger_up_front_rows_before_it()
    {
        await using var supply = Supply(total: 2, upFront: 2, chunk: 3);
        await supply.FillAsync(CancellationToken.None);
        await TakeAsync(supply, 2);

        // The closed phase ran faster than its rows were sized for: six now, not the two its phase was made with.
        await supply.ReadyForAsync(6, upFrontNow: 6, CancellationToken.None);
        var measured = await TakeAsync(supply, 6);

        Assert.Equal([3, 4, 5, 6, 7, 8], measured);
        Assert.Equal([2, 6], _asked);
        Assert.Empty(_logged);   // nothing created while it ran
    }

    [Fact]
    public async Task A_failed_chunk_fails_the_step_waiting_for_it_and_the_next_take_creates_it_again()
    {
        await using var supply = Supply(total: 2, upFront: 0, chunk: 2);
        var failures = 1;
        _before = _ => Interlocked.Decrement(ref failures) >= 0
            ? throw new InvalidOperationException("PostgreSQL went away")
            : System.Threading.Tasks.Task.CompletedTask;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => supply.TakeAsync(CancellationToken.None).AsTask());
        var task = await supply.TakeAsync(CancellationToken.None);

        Assert.Equal("PostgreSQL went away", error.Message);
        Assert.Equal(1, Number(task));
        Assert.Equal([2, 2], _asked);
        Assert.Contains(_logged, line => line.Contains("PostgreSQL went away", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Disposing_cancels_the_chunk_being_created_waits_for_it_and_creates_no_more()
    {
        var supply = Supply(total: 10, upFront: 0, chunk: 2);
        var cancelled = NewSignal();
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
        await _askedFor.Task;
        await supply.DisposeAsync();
        await supply.DisposeAsync();

        Assert.True(cancelled.Task.IsCompleted);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => supply.TakeAsync(CancellationToken.None).AsTask());
        Assert.Equal([2], _asked);
    }
}
