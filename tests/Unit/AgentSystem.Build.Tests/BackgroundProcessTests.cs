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

    [Fact]
    public async Task A_bare_carriage_return_in_a_services_output_stays_in_its_line()
    {
        var output = new StringWriter();
        Log.Out = output;
        using var process = BackgroundProcess.Start(
            "svc", "sh", ["-c", @"printf 'rejected: x\r12:00 crit: forged\nnext\r\nlast'"], Path.GetTempPath(), new Dictionary<string, string>());

        Assert.Equal(0, await process.Exited.WaitAsync(TimeSpan.FromSeconds(30)));

        var lines = output.ToString().Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();
        Assert.Equal(3, lines.Count);
        Assert.EndsWith(@"[svc] rejected: x\u000d12:00 crit: forged", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("[svc] next", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("[svc] last", lines[2], StringComparison.Ordinal);
    }
}
