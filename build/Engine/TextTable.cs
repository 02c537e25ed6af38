namespace AgentSystem.Build.Engine;

/// <summary>A plain-text table for summaries, plans and reports.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private int _width;
    private int[] _wrapped = [];
    private int _narrowest;
    private bool _evenly;

    public TextTable AddRow(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public int RowCount => _rows.Count;

    /// <summary>The width a table fits to when it is not written to a terminal (piped, redirected, captured).</summary>
    public const int DefaultWidth = 100;

    /// <summary>
    /// COLUMNS when set (<c>COLUMNS=300 ./build.sh --help | grep ...</c>), from <paramref name="environment"/> or else the
    /// process's own; else the terminal's width, else <see cref="DefaultWidth"/>.
    /// </summary>
    public static int TerminalWidth(IReadOnlyDictionary<string, string>? environment = null)
    {
        var columns = environment is null ? Environment.GetEnvironmentVariable("COLUMNS") : environment.GetValueOrDefault("COLUMNS");
        return int.TryParse(columns, out var width) && width > 0 ? width
            : !Console.IsOutputRedirected && Console.WindowWidth > 0 ? Console.WindowWidth
            : DefaultWidth;
    }

    /// <summary>
    /// Wraps the cells of <paramref name="columns"/>, and their headers, at spaces so each line fits
    /// <paramref name="width"/> (a terminal's) where their words allow; 0 or less: no limit. The first of them, the one
    /// read (a description), is narrowed last, unless <see cref="NarrowEvenly"/>.
    /// </summary>
    public TextTable FitTo(int width, params int[] columns)
    {
        _width = width;
        _wrapped = columns;
        return this;
    }

    public IEnumerable<string> Render()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => Cell(r, i).Length).DefaultIfEmpty(0).Max())).ToArray();
        Shrink(widths);
        string Line(IReadOnlyList<string> cells) =>
            string.Join("  ", widths.Select((w, i) => Cell(cells, i).PadRight(w))).TrimEnd();
        IEnumerable<string> Lines(IReadOnlyList<string> cells)
        {
            var pieces = headers.Select((_, i) => _wrapped.Contains(i) ? Wrap(Cell(cells, i), widths[i]) : [Cell(cells, i)]).ToArray();
            return Enumerable.Range(0, pieces.Max(p => p.Count)).Select(line => Line([.. pieces.Select(p => line < p.Count ? p[line] : "")]));
        }

        foreach (var line in Lines(headers))
        {
            yield return line;
        }

        yield return string.Join("  ", widths.Select(w => new string('─', w)));
        foreach (var line in _rows.SelectMany(Lines))
        {
            yield return line;
        }
    }

    private static string Cell(IReadOnlyList<string> cells, int index) => index < cells.Count ? cells[index] : "";

    /// <summary>
    /// Keeps each wrapped column at least <paramref name="characters"/> wide (or as wide as it is unwrapped, if less),
    /// for a table that may not fit anyway: narrower, prose becomes a column of single words and the table only grows taller.
    /// </summary>
    public TextTable WrapNoNarrowerThan(int characters)
    {
        _narrowest = characters;
        return this;
    }

    /// <summary>
    /// Narrows the wrapped columns alike, the widest first, with none kept for last: for tables without one column that
    /// is read above the others (the load reports': keeping a threshold's name wide squeezed its measured value into
    /// rows of eight lines).
    /// </summary>
    public TextTable NarrowEvenly()
    {
        _evenly = true;
        return this;
    }

    /// <summary>
    /// Narrows the widest wrapped column by one until the table fits, never below a column's longest word (header
    /// included) nor the width <see cref="WrapNoNarrowerThan"/> set; the first wrapped column only once the others are as
    /// narrow as they go, unless <see cref="NarrowEvenly"/>.
    /// </summary>
    private void Shrink(int[] widths)
    {
        if (_width <= 0)
        {
            return;
        }

        var floors = _wrapped.ToDictionary(i => i, i => Math.Max(Math.Min(_narrowest, widths[i]), _rows.Select(r => Cell(r, i)).Append(headers[i])
            .SelectMany(c => c.Split(' ')).Max(w => w.Length)));
        while (widths.Sum() + (2 * (widths.Length - 1)) > _width)
        {
            var widest = _wrapped.Where(i => widths[i] > floors[i]).OrderBy(i => !_evenly && i == _wrapped[0]).ThenByDescending(i => widths[i]).FirstOrDefault(-1);
            if (widest < 0)
            {
                return;
            }

            widths[widest]--;
        }
    }

    /// <summary>The text in lines of at most <paramref name="width"/> characters, broken at spaces (a longer word keeps its own line).</summary>
    public static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : $"{line} {word}";
            }
        }

        lines.Add(line);
        return lines;
    }

    public override string ToString() => string.Join(Environment.NewLine, Render());
}
