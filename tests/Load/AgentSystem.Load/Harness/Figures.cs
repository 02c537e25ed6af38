using System.Globalization;

namespace AgentSystem.Load.Harness;

/// <summary>How every table, threshold and chart writes a number, so that the console, report.md and report.html agree.</summary>
internal static class Figures
{
    /// <summary>A measured figure: thousands grouped, fewer decimals as numbers grow; below 1, down to thousandths (a ratio of 0.004 is not "0.00").</summary>
    /// <param name="decimals">False for counts (clients, pipeline depth, errors): "50", never "50.0".</param>
    public static string Format(double value, bool decimals = true) =>
        !double.IsFinite(value) ? "-"
        : Math.Abs(value) >= 100 || !decimals ? value.ToString("#,0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 1 ? value.ToString("0.00", CultureInfo.InvariantCulture)
        : value.ToString("0.00#", CultureInfo.InvariantCulture);

    /// <summary>A declared limit or setting, as declared: "5,000", "99.9", "1" (never "1.00" for a 1 % limit).</summary>
    public static string Declared(double value) => value.ToString("#,0.###", CultureInfo.InvariantCulture);

    /// <summary>"3 of 14,469 enqueue calls of 100 jobs": a count out of a total, named in the unit both count.</summary>
    public static string Share(long count, long total, string unit) => $"{Format(count, decimals: false)} of {Format(total, decimals: false)} {unit}";
}
