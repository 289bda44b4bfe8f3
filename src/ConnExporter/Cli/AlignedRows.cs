namespace ConnExporter.Cli;

/// <summary>
/// A small table of already-aggregated rows (counts per group, never per socket), aligned in
/// columns and written through a <see cref="BufferedUtf8Output"/>; numeric columns right-aligned.
/// </summary>
public sealed class AlignedRows
{
    private readonly string[] _header;
    private readonly bool[] _numeric;
    private readonly List<string[]> _rows = [];

    public AlignedRows(string[] header, bool[] numeric)
    {
        if (header.Length != numeric.Length) throw new ArgumentException("one alignment per column", nameof(numeric));
        _header = header;
        _numeric = numeric;
    }

    public int Count => _rows.Count;

    public void Add(params string[] row)
    {
        if (row.Length != _header.Length) throw new ArgumentException($"{row.Length} cells for {_header.Length} columns", nameof(row));
        _rows.Add(row);
    }

    public void Write(BufferedUtf8Output output)
    {
        var widths = new int[_header.Length];
        for (int i = 0; i < widths.Length; i++) widths[i] = _header[i].Length;
        foreach (var row in _rows)
            for (int i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        WriteRow(output, _header, widths, header: true);
        foreach (var row in _rows) WriteRow(output, row, widths, header: false);
    }

    private void WriteRow(BufferedUtf8Output o, string[] row, int[] widths, bool header)
    {
        for (int i = 0; i < row.Length; i++)
        {
            if (i > 0) o.WriteByte((byte)' ');
            int pad = widths[i] - row[i].Length;
            bool last = i == row.Length - 1;
            if (_numeric[i] && !header) o.WriteSpaces(pad);
            o.Write(row[i]);
            if (!last && (!_numeric[i] || header)) o.WriteSpaces(pad);
        }
        o.WriteByte((byte)'\n');
    }
}
