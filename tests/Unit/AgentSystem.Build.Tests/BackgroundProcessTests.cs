using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>What Dev prints of its services' output: their lines, but not the control characters a client put in them.</summary>
public sealed class BackgroundProcessTests
{
    [Fact]
    public void A_plain_line_and_its_tabs_are_printed_as_they_are()
    {
        Assert.Equal("info: Job 42\tsucceeded", BackgroundProcess.Printable("info: Job 42\tsucceeded"));
    }

    [Fact]
    public void Escape_sequences_and_carriage_returns_are_written_out_not_sent_to_the_terminal()
    {
        var forged = "rejected its input: x\r12:00:00 crit: Admin key accepted\u001b[2K\u001b[1Ainjected\u009b";

        Assert.Equal(@"rejected its input: x\u000d12:00:00 crit: Admin key accepted\u001b[2K\u001b[1Ainjected\u009b", BackgroundProcess.Printable(forged));
    }
}
