namespace AgentSystem.Build.Engine;

/// <summary>A plain-text table for summaries, plans and reports.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable AddRow(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public int RowCount => _rows.Count;

    public IEnumerable<string> Render()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        string Line(IReadOnlyList<string> cells) =>
            string.Join("  ", widths.Select((w, i) => (i < cells.Count ? cells[i] : "").PadRight(w))).TrimEnd();
        yield return Line(headers);
        yield return string.Join("  ", widths.Select(w => new string('─', w)));
        foreach (var row in _rows)
        {
            yield return Line(row);
        }
    }

    public override string ToString() => string.Join(Environment.NewLine, Render());
}
