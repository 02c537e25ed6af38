using AgentSystem.Load.Harness;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Load.Tests;

public sealed class CpuSamplerTests
{
    [Fact]
    public void A_process_figure_is_its_cpu_seconds_over_the_span_since_the_last_sample()
    {
        var (sampler, clock, used) = Sampler();
        clock.Advance(TimeSpan.FromSeconds(1));
        used[0] = 0.5;

        Assert.Equal(0.5, sampler.Sample().Processes["worker"], 3);
    }

    [Fact]
    public void A_span_too_short_for_proc_ticks_has_no_figures_and_the_next_sample_covers_it()
    {
        var (sampler, clock, used) = Sampler();
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

    private static (CpuSampler Sampler, FakeTimeProvider Clock, double[] Used) Sampler()
    {
        var clock = new FakeTimeProvider();
        var used = new[] { 0.0 };
        var sampler = new CpuSampler(
            () => new Dictionary<string, int>(StringComparer.Ordinal) { ["worker"] = 42 },
            pid => pid == 42 ? used[0] : null,
            clock);
        clock.Advance(TimeSpan.FromSeconds(1));
        sampler.Sample();   // the baseline
        return (sampler, clock, used);
    }
}
