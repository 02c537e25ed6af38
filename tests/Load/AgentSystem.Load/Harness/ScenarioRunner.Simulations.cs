using System.Diagnostics;

namespace AgentSystem.Load.Harness;

/// <summary>The load simulations: closed copies looping over the step, open invocations injected on a schedule.</summary>
internal sealed partial class ScenarioRunner
{
    private Task RunSimulationAsync(Scenario scenario, LoadSimulation simulation, double previous, Stats stats, CancellationToken cancellationToken)
    {
        stats.Open = simulation.IsOpen;
        return simulation.IsOpen
            ? RunOpenAsync(scenario, simulation, previous, stats, cancellationToken)
            : RunClosedAsync(scenario, simulation, previous, stats, cancellationToken);
    }

    private static async Task RunClosedAsync(Scenario scenario, LoadSimulation simulation, double previous, Stats stats, CancellationToken cancellationToken)
    {
        var iterations = simulation is IterationsForConstant counted ? counted.Iterations : -1;
        long next = 0;
        var copies = new List<(Task Loop, CancellationTokenSource Stop)>();
        var start = Stopwatch.GetTimestamp();

        void StartCopy()
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var copy = copies.Count;
            copies.Add((Task.Run(() => CopyLoopAsync(copy, stop.Token), CancellationToken.None), stop));
        }

        async Task CopyLoopAsync(int copy, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var invocation = Interlocked.Increment(ref next) - 1;
                if (iterations >= 0 && invocation >= iterations)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                var response = await InvokeAsync(scenario, new StepContext(invocation, copy, started, stats.WarmUp, cancellationToken));
                stats.Record(response, started);
            }
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                if (iterations < 0 && elapsed >= simulation.During)
                {
                    break;
                }

                var target = (int)simulation.TargetAt(elapsed, previous);
                Volatile.Write(ref stats.Target, target);
                var active = copies.Count(c => !c.Stop.IsCancellationRequested);
                for (; active < target; active++)
                {
                    StartCopy();
                }

                foreach (var (_, stop) in copies.Where(c => !c.Stop.IsCancellationRequested).Skip(target))
                {
                    await stop.CancelAsync();
                }

                if (iterations >= 0 && copies.All(c => c.Loop.IsCompleted))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var (_, stop) in copies)
            {
                await stop.CancelAsync();
            }

            await Task.WhenAll(copies.Select(c => c.Loop));
            foreach (var (_, stop) in copies)
            {
                stop.Dispose();
            }
        }
    }

    private async Task RunOpenAsync(Scenario scenario, LoadSimulation simulation, double previous, Stats stats, CancellationToken cancellationToken)
    {
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var total = Injection.DueBy(simulation, previous, simulation.During);
        var start = Stopwatch.GetTimestamp();
        stats.Schedule = new Schedule(simulation, previous, start, stats.Schedule?.ItemsBy(start) ?? 0, stats.Schedule?.OpenSince ?? start, scenario.ItemsPerStep);
        var inFlight = 0L;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fired = 0L;
        var overloaded = 0L;

        void Done()
        {
            if (Interlocked.Decrement(ref inFlight) == 0 && Interlocked.Read(ref fired) >= total)
            {
                drained.TrySetResult();
            }
        }

        async Task InvokeOneAsync(long invocation, long scheduled)
        {
            try
            {
                stats.RecordLag(scheduled);
                var response = await InvokeAsync(scenario, new StepContext(invocation, -1, scheduled, stats.WarmUp, abandon.Token));
                stats.Record(response, scheduled);
            }
            finally
            {
                Done();
            }
        }

        void Inject()
        {
            while (fired < total && !cancellationToken.IsCancellationRequested)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                Volatile.Write(ref stats.Target, simulation.TargetAt(elapsed, previous) * scenario.ItemsPerStep);
                var due = Injection.DueBy(simulation, previous, elapsed);
                for (; fired < due; fired++)
                {
                    var scheduled = start + (long)(Injection.DueAt(simulation, previous, fired).TotalSeconds * Stopwatch.Frequency);
                    if (Interlocked.Increment(ref inFlight) > MaxInFlight)
                    {
                        overloaded++;
                        stats.Record(Response.Fail($"generator: more than {MaxInFlight} invocations in flight"), scheduled);
                        Interlocked.Decrement(ref inFlight);
                        continue;
                    }

                    // Started here, up to its first await, not handed to the thread pool: a hop that woke a pool thread
                    // per invocation and was late by a millisecond or more under load, counted as the system's latency.
                    _ = InvokeOneAsync(fired, scheduled);
                }

                // Until the next one is due (not at all when it is due already); Thread.Sleep wakes about 0.1 ms late,
                // Task.Delay a millisecond or two (its timer thread, then a pool thread).
                var next = fired < total ? Injection.DueAt(simulation, previous, fired) - Stopwatch.GetElapsedTime(start) : TimeSpan.Zero;
                if (next > TimeSpan.Zero)
                {
                    Thread.Sleep(Math.Clamp((int)Math.Ceiling(next.TotalMilliseconds), 1, 50));
                }
            }
        }

        // LongRunning: a thread of its own, not a pool thread, since Inject sleeps.
        await Task.Factory.StartNew(Inject, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Interlocked.Exchange(ref fired, total);
        if (Interlocked.Read(ref inFlight) == 0)
        {
            drained.TrySetResult();
        }

        try
        {
            await drained.Task.WaitAsync(InFlightGrace, cancellationToken);
        }
        catch (TimeoutException)
        {
            log($"{scenario.Name}: {Interlocked.Read(ref inFlight)} invocations still in flight after {InFlightGrace.TotalSeconds:0} s: cancelled");
            await abandon.CancelAsync();
            await drained.Task.WaitAsync(InFlightGrace, CancellationToken.None);
        }

        if (overloaded > 0)
        {
            log($"{scenario.Name}: {overloaded} invocations not made: the system fell behind by more than {MaxInFlight}");
        }
    }

    private static async ValueTask<Response> InvokeAsync(Scenario scenario, StepContext context)
    {
        try
        {
            return await scenario.Step(context);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            return Response.Fail($"{error.GetType().Name}: {error.Message}");
        }
    }
}
