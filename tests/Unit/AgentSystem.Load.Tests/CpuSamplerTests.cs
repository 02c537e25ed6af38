using AgentSystem.Load.Harness;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Load.Tests;

public sealed class CpuSamplerTests
{
    [Fact]
    public void A_process_figure_is_its_cpu_seconds_over_the_span_since_the_last_sample()
    {
        var (sampler, clock, used, _) = Sampler();
        clock.Advance(TimeSpan.FromSeconds(1));
        used[0] = 0.5;

        Assert.Equal(0.5, sampler.Sample().Processes["worker"], 3);
    }

    [Fact]
    public void A_restarted_process_counts_from_its_new_counter_not_against_the_old_ones_seconds()
    {
        var clock = new FakeTimeProvider();
        var counter = new CpuCounter("pid 42", () => 5.0);
        var sampler = new CpuSampler(() => new Dictionary<string, CpuCounter>(StringComparer.Ordinal) { ["worker-1"] = counter }, clock, () => null);
        clock.Advance(TimeSpan.FromSeconds(1));
        sampler.Sample();

        counter = new CpuCounter("pid 43", () => 0.2);   // killed and started again: its seconds start from nothing
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, sampler.Sample().Processes["worker-1"]);
        counter = counter with { Seconds = () => 0.6 };
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0.4, sampler.Sample().Processes["worker-1"], 3);
    }

    [Fact]
    public void A_span_too_short_for_proc_ticks_has_no_figures_and_the_next_sample_covers_it()
    {
        var (sampler, clock, used, _) = Sampler();
        clock.Advance(TimeSpan.FromSeconds(1));
        used[0] = 0.25;
        sampler.Sample();

        clock.Advance(TimeSpan.FromMilliseconds(6));
        used[0] = 0.26;   // one tick of 10 ms: 1.7 cores over 6 ms
        var brief = sampler.Sample();

        Assert.Empty(brief.Processes);
        Assert.True(double.IsNaN(brief.GeneratorCores));

        clock.Advance(TimeSpan.FromMilliseconds(994));
        used[0] = 0.51;
        Assert.Equal(0.26, sampler.Sample().Processes["worker"], 3);
    }

    [Fact]
    public void The_machine_is_busy_by_the_share_of_its_ticks_since_the_last_sample_that_were_not_idle()
    {
        var (sampler, clock, _, machine) = Sampler();
        clock.Advance(TimeSpan.FromSeconds(1));
        machine[0] = (1_000 + 150, 2_000 + 200);   // 150 of the 200 ticks since the baseline busy

        Assert.Equal(0.75, sampler.Sample().MachineBusy, 3);

        clock.Advance(TimeSpan.FromSeconds(1));
        machine[0] = null;   // /proc/stat unreadable
        Assert.True(double.IsNaN(sampler.Sample().MachineBusy));
    }

    [Theory]
    [InlineData("cpu  100 5 20 800 40 3 2 30 7 0", 160L, 1000L)]   // idle 800 and iowait 40 are not busy; guest (7) is in user already
    [InlineData("cpu  1 2 3 4 5 6 7 8", 27L, 36L)]
    [InlineData("cpu0 100 5 20 800 40 3 2 30 7 0", null, null)]   // one core's line, not the machine's
    [InlineData("cpu  100 5 20 x 40 3 2 30", null, null)]
    [InlineData("cpu  100 5", null, null)]
    public void The_machine_line_of_proc_stat_is_read_or_refused(string line, long? busy, long? total)
    {
        var parsed = CpuSampler.ParseMachine(line);

        Assert.Equal(busy, parsed?.Busy);
        Assert.Equal(total, parsed?.Total);
    }

    private static (CpuSampler Sampler, FakeTimeProvider Clock, double[] Used, (long Busy, long Total)?[] Machine) Sampler()
    {
        var clock = new FakeTimeProvider();
        var used = new[] { 0.0 };
        var machine = new (long Busy, long Total)?[] { (1_000, 2_000) };
        var sampler = new CpuSampler(
            () => new Dictionary<string, CpuCounter>(StringComparer.Ordinal) { ["worker"] = new("pid 42", () => used[0]) },
            clock,
            () => machine[0]);
        clock.Advance(TimeSpan.FromSeconds(1));
        sampler.Sample();   // the baseline
        return (sampler, clock, used, machine);
    }
}
