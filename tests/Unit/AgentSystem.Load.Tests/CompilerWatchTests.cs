using System.Linq.Expressions;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>Which processes are still compiling, from their compiler threads' CPU since the last look.</summary>
public sealed class CompilerWatchTests
{
    private readonly Dictionary<int, Dictionary<int, double>> _threads = [];

    private CompilerWatch Watch(params (string Name, int Pid)[] processes) => new(
        () => processes.ToDictionary(p => p.Name, p => p.Pid, StringComparer.Ordinal),
        pid => _threads.GetValueOrDefault(pid) ?? []);

    [Fact]
    public void A_process_whose_compiler_used_cpu_since_the_last_look_is_busy_and_then_idle()
    {
        _threads[10] = new() { [11] = 2.0 };
        _threads[20] = new() { [21] = 5.0 };
        var watch = Watch(("gateway", 10), ("worker", 20));

        _threads[10][11] = 2.5;

        Assert.Equal(["gateway"], watch.Busy());
        Assert.Empty(watch.Busy());
    }

    [Fact]
    public void A_compiler_thread_started_since_the_last_look_counts_from_zero_and_an_ended_one_counts_nothing()
    {
        _threads[10] = new() { [11] = 3.0 };
        var watch = Watch(("worker", 10));

        _threads[10] = new() { [12] = 0.5 };   // the runtime ended its idle worker and started another

        Assert.Equal(["worker"], watch.Busy());
        _threads[10] = [];
        Assert.Empty(watch.Busy());
    }

    [Fact]
    public void This_process_is_read_through_the_runtimes_own_count_of_compile_time()
    {
        var before = CompilerWatch.CompilerSeconds(Environment.ProcessId).Values.Sum();

        // A method made at run time is compiled at its first call.
        var x = Expression.Parameter(typeof(int), "x");
        var increment = Expression.Lambda<Func<int, int>>(Expression.Increment(x), x).Compile();

        Assert.Equal(2, increment(1));
        Assert.True(CompilerWatch.CompilerSeconds(Environment.ProcessId).Values.Sum() > before);
    }
}
