using AgentSystem.Contracts;
using AgentSystem.Worker.Handlers;

namespace AgentSystem.Worker.Tests.Fakes;

/// <summary>Runs until <see cref="Release"/> (or cancellation); counts how many run at once.</summary>
public sealed class GateHandler(string type = GateHandler.DefaultType) : IJobHandler
{
    public const string DefaultType = "test-gate";

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private int _maxRunning;
    private int _started;

    public string Type => type;

    public int Running => Volatile.Read(ref _running);

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public int Started => Volatile.Read(ref _started);

    public void Release() => _gate.TrySetResult();

    public async Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        Interlocked.Increment(ref _started);
        var running = Interlocked.Increment(ref _running);
        int max;
        while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
        {
        }

        try
        {
            await _gate.Task.WaitAsync(ct);
            return $"done {job.Input}";
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

/// <summary>Fails every attempt; <paramref name="sideEffectFree"/> says whether the worker may run it unchecked.</summary>
public sealed class FailingHandler(bool sideEffectFree = false) : IJobHandler
{
    public const string TypeName = "test-fail";

    private int _calls;

    public string Type => TypeName;

    public bool SideEffectFree => sideEffectFree;

    public int Calls => Volatile.Read(ref _calls);

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        throw new InvalidOperationException("model unavailable");
    }
}

/// <summary>Ignores its token entirely: the worker must still move on at the timeout or the drain deadline.</summary>
public sealed class StubbornHandler : IJobHandler
{
    public const string TypeName = "test-stubborn";

    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Type => TypeName;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct) => _never.Task.ContinueWith(_ => "never", TaskScheduler.Default);
}

/// <summary>Runs a test's own code as the job, so that a test can act at the moment a job runs.</summary>
public sealed class CallbackHandler(Func<JobMessage, Task<string>> run, bool sideEffectFree = false) : IJobHandler
{
    public const string TypeName = "test-callback";

    public string Type => TypeName;

    public bool SideEffectFree => sideEffectFree;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct) => run(job);
}
