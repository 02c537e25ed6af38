using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>How every table, threshold and chart writes a number, so that the console, report.md and report.html agree.</summary>
internal static class Figures
{
    /// <summary>A measured figure: thousands grouped, fewer decimals as numbers grow; below 1, down to thousandths (a ratio of 0.004 is not "0.00").</summary>
    /// <param name="decimals">False for counts (clients, pipeline depth, errors): "50", never "50.0".</param>
    public static string Format(double value, bool decimals = true) =>
        !double.IsFinite(value) ? "-"
        : value.ToString((decimals ? Decimals(value) : 0) switch { 0 => "#,0", 1 => "0.0", 2 => "0.00", _ => "0.00#" }, CultureInfo.InvariantCulture);

    /// <summary>
    /// The value to the decimals <see cref="Format"/> writes, so a figure kept (summary.json) reads as the one shown: a
    /// figure rounded to other decimals first was rounded twice (the log's 41,805 jobs/s was 41,806 in the table).
    /// </summary>
    public static double Round(double value) => double.IsFinite(value) ? Math.Round(value, Decimals(value), MidpointRounding.AwayFromZero) : value;

    private static int Decimals(double value) => Math.Abs(value) >= 100 ? 0 : Math.Abs(value) >= 10 ? 1 : Math.Abs(value) >= 1 ? 2 : 3;

    /// <summary>A declared limit or setting, as declared: "5,000", "99.9", "1" (never "1.00" for a 1 % limit).</summary>
    public static string Declared(double value) => value.ToString("#,0.###", CultureInfo.InvariantCulture);

    /// <summary>"3 of 14,469 enqueue calls of 100 jobs": a count out of a total, named in the unit both count.</summary>
    public static string Share(long count, long total, string unit) => $"{Format(count, decimals: false)} of {Format(total, decimals: false)} {unit}";
}
