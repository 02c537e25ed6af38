using System.Globalization;
using System.Net;
using System.Text;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Reports;

/// <summary>One line of a chart; <see cref="Dashed"/> for targets and references.</summary>
internal sealed record Series(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false);

/// <summary>
/// Line charts as inline SVG, written here so report.html needs nothing from a network: axes with round ticks, a grid,
/// a legend, and a tooltip (the SVG title) on every point.
/// </summary>
internal static class SvgChart
{
    private const int Width = 640;
    private const int Height = 260;
    private const int Left = 76;
    private const int Right = 16;
    private const int Top = 28;
    private const int Bottom = 44;

    /// <summary>Estimated widths of a character of the legend (14 px) and of the title (16 px, bold).</summary>
    private const int LegendCharWidth = 8;
    private const int TitleCharWidth = 10;

    private const int LegendRowHeight = 18;

    /// <summary>Where the rotated y axis label ends on the right (centred at x 14, 14 px high).</summary>
    private const int AxisLabelRight = 22;

    /// <summary>The points of <paramref name="series"/> a chart draws (finite ones), which set its axes.</summary>
    public static List<(double X, double Y)> Plotted(IEnumerable<Series> series) => [.. series.SelectMany(s => s.Points).Where(Finite)];

    private static bool Finite((double X, double Y) point) => double.IsFinite(point.X) && double.IsFinite(point.Y);

    /// <param name="xTicks">Where to put x ticks and how to label them; round ticks when null.</param>
    /// <param name="xText">How a point's tooltip names its x (a percentile axis is drawn stretched); the figure when null.</param>
    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        IReadOnlyList<(double X, string Label)>? xTicks = null, Func<double, string>? xText = null)
    {
        xText ??= x => Figures.Format(x);
        ArgumentNullException.ThrowIfNull(series);
        var points = Plotted(series);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" class=\"chart\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"16\" class=\"title\">{Escape(title)}</text>");
        if (points.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return svg.ToString();
        }

        // Over every x given, also those with nothing measured (a second in which no job finished): the gap shows.
        var xs = series.SelectMany(s => s.Points).Select(p => p.X).Where(double.IsFinite).ToList();
        var (xMin, xMax) = (xs.Min(), xs.Max());
        var yMax = NiceCeiling(points.Max(p => p.Y));
        if (xMax <= xMin)
        {
            // One moment only (a phase shorter than a second has one timeline point): from 0, so that the point is not
            // drawn on the y axis.
            (xMin, xMax) = xMin > 0 ? (0, NiceCeiling(xMin * 1.25)) : (xMin, xMin + 1);
        }

        var legend = LegendPlaces(title, series);
        var top = Top + (LegendRowHeight * legend.Select(place => place.Row).DefaultIfEmpty().Max());
        var yTicks = Ticks(0, yMax).ToList();
        var left = PlotLeft(yTicks.Select(tick => tick.Label));
        double X(double x) => left + ((x - xMin) / (xMax - xMin) * (Width - left - Right));
        double Y(double y) => Height - Bottom - (y / yMax * (Height - top - Bottom));

        foreach (var (tick, label) in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{Width - Right}\" y1=\"{Y(tick):0.#}\" y2=\"{Y(tick):0.#}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(tick) + 5:0.#}\" text-anchor=\"end\">{label}</text>");
        }

        foreach (var (x, label) in xTicks ?? [.. Ticks(xMin, NiceCeiling(xMax)).Where(t => t.Value <= xMax)])
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(x):0.#}\" x2=\"{X(x):0.#}\" y1=\"{top}\" y2=\"{Height - Bottom}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(x):0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Escape(label)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + Width - Right) / 2}\" y=\"{Height - 6}\" text-anchor=\"middle\" class=\"axis\">{Escape(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(14 {(top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">{Escape(yLabel)}</text>");

        var drawnAfter = series.Count;
        foreach (var (line, (legendX, row)) in series.Zip(legend).Reverse())
        {
            // A lone point under the lines drawn after it is larger, so that one at the same place (p50 = p99 in a second
            // with one finished job) rings it instead of hiding it.
            var aloneRadius = 3 + (1.5 * --drawnAfter);
            if (line.Points.Any(Finite))
            {
                var path = Path(line.Points, X, Y);
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"2\"{(line.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");
                for (var i = 0; i < line.Points.Count; i++)
                {
                    var (x, y) = line.Points[i];
                    if (!Finite(line.Points[i]))
                    {
                        continue;
                    }

                    // A point with no line to a neighbour (a phase of one second, a second between gaps) is drawn; the
                    // others show on hover.
                    var alone = (i == 0 || !Finite(line.Points[i - 1])) && (i == line.Points.Count - 1 || !Finite(line.Points[i + 1]));
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<circle cx=\"{X(x):0.#}\" cy=\"{Y(y):0.#}\" r=\"{(alone ? aloneRadius : 3):0.#}\" fill=\"{line.Color}\"{(alone ? "" : " class=\"point\"")}><title>{Escape(line.Name)}: {Figures.Format(y)} {Escape(yLabel)} at {Escape(xText(x))}</title></circle>");
                }
            }

            var rowY = LegendRowHeight * row;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX}\" y=\"{8 + rowY}\" width=\"12\" height=\"4\" fill=\"{line.Color}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{legendX + 16}\" y=\"{15 + rowY}\">{Escape(line.Name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// Where each legend entry goes, in the series' order: right-aligned on the title's row when all clear the title, as
    /// before; otherwise on rows of their own below it, left to right, which push the plot down (helper-139: a
    /// threshold's long name ran the legend over the title; helper-145: wrapped from the right, the main series came last).
    /// </summary>
    internal static List<(int X, int Row)> LegendPlaces(string title, IReadOnlyList<Series> series)
    {
        var widths = series.Select(line => (line.Name.Length * LegendCharWidth) + 28).ToList();
        var places = new List<(int X, int Row)>();
        var besideTitle = Width - Right - widths.Sum();
        if (besideTitle >= Left + (title.Length * TitleCharWidth) + 16)
        {
            var x = besideTitle;
            foreach (var width in widths)
            {
                places.Add((x, 0));
                x += width;
            }

            return places;
        }

        var (next, row) = (Left, 1);
        foreach (var width in widths)
        {
            if (next + width > Width - Right && next > Left)
            {
                (next, row) = (Left, row + 1);
            }

            places.Add((next, row));
            next += width;
        }

        return places;
    }

    /// <summary>
    /// The plot's left edge: far enough right that the widest y tick label clears the rotated axis label beside it
    /// (helper-145: "jobs/s" was drawn over "100,000").
    /// </summary>
    private static int PlotLeft(IEnumerable<string> tickLabels) =>
        Math.Max(Left, AxisLabelRight + 6 + tickLabels.Select(LabelWidth).DefaultIfEmpty().Max() + 6);

    /// <summary>A tick label's estimated width at 14 px: a digit 8, a separator half that.</summary>
    private static int LabelWidth(string label) => label.Sum(c => c is ',' or '.' ? LegendCharWidth / 2 : LegendCharWidth);

    /// <summary>
    /// The line through <paramref name="points"/>, broken where a point is not finite: a second in which nothing was
    /// measured is a gap, not a straight line from the second before to the one after.
    /// </summary>
    internal static string Path(IEnumerable<(double X, double Y)> points, Func<double, double> x, Func<double, double> y)
    {
        var path = new StringBuilder();
        var move = true;
        foreach (var point in points)
        {
            if (!Finite(point))
            {
                move = true;
                continue;
            }

            path.Append(path.Length == 0 ? "" : " ").Append(move ? 'M' : 'L')
                .Append(CultureInfo.InvariantCulture, $"{x(point.X):0.#},{y(point.Y):0.#}");
            move = false;
        }

        return path.ToString();
    }

    /// <summary>A percentile axis stretched towards the tail: x = log10(1 / (1 - p)), so 90, 99 and 99.9 are evenly spaced.</summary>
    public static double PercentileX(double percentile) => Math.Log10(1 / Math.Max(1e-6, 1 - (Math.Min(percentile, 99.9999) / 100)));

    /// <summary>A point's percentile back from <see cref="PercentileX"/>, for its tooltip: "p99.9".</summary>
    public static string PercentileText(double x) => "p" + (100 * (1 - Math.Pow(10, -x))).ToString("0.###", CultureInfo.InvariantCulture);

    public static IReadOnlyList<(double X, string Label)> PercentileTicks { get; } =
        [(PercentileX(0), "0"), (PercentileX(90), "90"), (PercentileX(99), "99"), (PercentileX(99.9), "99.9"), (PercentileX(99.99), "99.99")];

    private static double NiceCeiling(double value)
    {
        if (value <= 0 || !double.IsFinite(value))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(candidate => candidate >= value);
    }

    /// <summary>Round ticks, each labelled to its step's precision: "2" seconds and "0" ms, not "2.00" and "0.00".</summary>
    private static IEnumerable<(double Value, string Label)> Ticks(double from, double to)
    {
        var step = NiceCeiling((to - from) / 5);
        var format = step >= 1 ? "#,0" : "#,0." + new string('#', (int)Math.Ceiling(-Math.Log10(step)) + 1);
        for (var tick = Math.Ceiling(from / step) * step; tick <= to + (step / 1000); tick += step)
        {
            yield return (tick, tick.ToString(format, CultureInfo.InvariantCulture));
        }
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
