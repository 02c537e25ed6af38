using AgentSystem.Load.References;

namespace AgentSystem.Load.Tests;

/// <summary>The note under the reference table says how its rows ran, including those beside no scenario of the run.</summary>
public sealed class ReferenceRunsTests
{
    [Fact]
    public void Rows_each_beside_its_scenario_are_told_so()
    {
        var note = ReferenceRuns.Conditions(40_000, []);

        Assert.Contains("redis-benchmark sent 40,000 requests a -P1 row, 160,000 a pipelined one", note, StringComparison.Ordinal);
        Assert.Contains("so that both met the machine of the same minute. A scenario's callers", note, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_beside_no_scenario_of_the_run_are_named_as_run_after_its_last_phase()
    {
        // helper-120: a queue-e2e run measured the -P1 rows after queue-kill, while the note said "before enqueue".
        var note = ReferenceRuns.Conditions(40_000, [1]);

        Assert.Contains("the -P1 rows, yardsticks of no scenario of this run, ran after its last phase.", note, StringComparison.Ordinal);
    }
}
