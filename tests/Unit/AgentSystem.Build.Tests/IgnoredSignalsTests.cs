using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

public class IgnoredSignalsTests
{
    [Theory]
    [InlineData("0000000000000002", true)]
    [InlineData("0000000001001002", true)]
    [InlineData("0000000001001000", false)]
    [InlineData("0000000000000000", false)]
    public void Reads_SIGINT_from_the_ignored_mask(string mask, bool ignored)
    {
        var status = $"Name:\tdotnet\nSigBlk:\t0000000000000002\nSigIgn:\t{mask}\nSigCgt:\t0000000000000002\n";

        Assert.Equal(ignored, IgnoredSignals.Includes(status, IgnoredSignals.Interrupt));
    }

    [Fact]
    public void A_status_without_the_mask_ignores_nothing() =>
        Assert.False(IgnoredSignals.Includes("Name:\tnode\n", IgnoredSignals.Interrupt));

    [Fact]
    public void Reads_what_a_real_process_ignores()
    {
        // Only the ignoring side: a shell cannot stop ignoring what it was started ignoring (a test run in the background).
        var ignoring = ProcessRunner.Capture("sh", ["-c", "trap '' INT; cat /proc/self/status"]);

        Assert.True(IgnoredSignals.Includes(ignoring.Output, IgnoredSignals.Interrupt));
    }
}
