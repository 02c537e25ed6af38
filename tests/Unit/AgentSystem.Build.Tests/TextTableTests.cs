using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>--help on a terminal: long descriptions wrap to its width instead of the terminal breaking every row.</summary>
public class TextTableTests
{
    private const string Long = "Runs unit, integration, system and load tests (the images composed) and validates the manifests";

    private static TextTable Sample() => new TextTable("Target", "Description", "Depends on")
        .AddRow("Test", Long, "UnitTest, IntegrationTest, SystemTest")
        .AddRow("Clean", "Deletes artifacts/", "");

    [Fact]
    public void Without_a_width_each_row_is_one_line()
    {
        var lines = Sample().Render().ToList();

        Assert.Equal(4, lines.Count);
        Assert.Contains(Long, lines[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(60)]
    public void With_a_width_every_line_fits_and_every_word_is_kept_in_order(int width)
    {
        var lines = Sample().FitTo(width, 1, 2).Render().ToList();

        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
        Assert.True(lines.Count > 4);
        // Each column read top to bottom, from where its header starts.
        var description = lines[0].IndexOf("Description", StringComparison.Ordinal);
        var dependsOn = lines[0].IndexOf("Depends on", StringComparison.Ordinal);
        string Column(int from, int to) => string.Join(' ', lines.Skip(2)
            .Select(l => l.PadRight(to)[from..to].Trim()).Where(c => c.Length > 0));
        Assert.Equal($"{Long} Deletes artifacts/", Column(description, dependsOn));
        Assert.Equal("UnitTest, IntegrationTest, SystemTest", Column(dependsOn, width));
    }

    [Fact]
    public void The_other_wrapped_columns_narrow_to_their_longest_word_before_the_first()
    {
        var lines = Sample().FitTo(80, 1, 2).Render().ToList();

        // The separator line shows each column's width: Depends on as wide as its longest word, Description the rest.
        var dependsOn = lines[0].IndexOf("Depends on", StringComparison.Ordinal);
        Assert.Equal("IntegrationTest,".Length, lines[1].Length - dependsOn);
        Assert.Equal(80, lines[1].Length);
    }

    [Fact]
    public void The_name_column_is_never_wrapped_and_a_long_word_stays_whole()
    {
        var lines = new TextTable("Parameter", "Description")
            .AddRow("--rollout-timeout", "https://kind.sigs.k8s.io/docs/user/quick-start/#installation then")
            .FitTo(40, 1).Render().ToList();

        Assert.StartsWith("--rollout-timeout  https://kind.sigs.k8s.io/docs/user/quick-start/#installation", lines[2], StringComparison.Ordinal);
        Assert.Equal("then", lines[3].Trim());
    }

    [Fact]
    public void A_wrapped_columns_header_wraps_under_its_column()
    {
        var lines = new TextTable("Scenario", "Generator late p99 ms while the load ran", "Machine busy")
            .AddRow("queue-e2e-at-rate", "12.0", "91.3 %")
            .FitTo(50, 1, 2).Render().ToList();

        Assert.All(lines, line => Assert.True(line.Length <= 50, $"{line.Length} > 50: {line}"));
        var separator = lines.FindIndex(line => line.StartsWith('─'));
        Assert.True(separator > 1, "the header takes more than one line");
        var busy = lines[0].IndexOf("Machine", StringComparison.Ordinal);
        Assert.Equal("91.3 %", lines[separator + 1][busy..]);
    }

    [Fact]
    public void A_table_too_wide_to_fit_can_keep_its_prose_columns_readable()
    {
        // A column of figures (not wrapped) wider than the width: narrowing the prose to single words would not make it fit.
        var lines = new TextTable("Scenario", "Figures", "Errors")
            .AddRow("queue-e2e", new string('9', 40), "0 of 51,887 enqueue calls of 1 job")
            .WrapNoNarrowerThan(16).FitTo(50, 2).Render().ToList();

        Assert.Equal(16, LastColumnWidth(lines));
        Assert.Equal(["0 of 51,887", "enqueue calls of", "1 job"], lines.Skip(2).Select(line => line[(line.LastIndexOf("  ", StringComparison.Ordinal) + 2)..].Trim()));
    }

    [Fact]
    public void Columns_narrowed_evenly_end_about_as_wide_as_each_other()
    {
        var lines = new TextTable("Scenario", "Threshold", "Measured")
            .AddRow("queue-kill", "every enqueued job stored once, with its result", "689 put back after their lease expired, 477 of them ran again (the others were stored already and skipped)")
            .NarrowEvenly().FitTo(60, 1, 2).Render().ToList();

        var measured = lines[0].IndexOf("Measured", StringComparison.Ordinal);
        var threshold = lines[0].IndexOf("Threshold", StringComparison.Ordinal);
        Assert.InRange((measured - 2 - threshold) - LastColumnWidth(lines), -1, 1);
        Assert.All(lines, line => Assert.True(line.Length <= 60, $"{line.Length} > 60: {line}"));
    }

    private static int LastColumnWidth(List<string> lines) => lines[1].Length - lines[1].LastIndexOf("  ", StringComparison.Ordinal) - 2;
}
