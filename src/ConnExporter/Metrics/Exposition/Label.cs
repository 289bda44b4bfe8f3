namespace ConnExporter.Metrics.Exposition;

/// <summary>
/// One label of a sample: a constant name and a value held either as text or as raw UTF-8 bytes
/// (kernel strings such as process names arrive as bytes and may not be valid UTF-8; the writer
/// replaces invalid sequences with U+FFFD). A plain struct so label sets can live in a
/// <c>ReadOnlySpan&lt;Label&gt;</c> built on the stack with a collection expression.
/// </summary>
public readonly struct Label
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte> _utf8;

    public Label(string name, string value)
    {
        Name = name;
        _text = value;
    }

    public Label(string name, ReadOnlyMemory<byte> utf8Value)
    {
        Name = name;
        _utf8 = utf8Value;
    }

    public string Name { get; }

    /// <summary>True when the value is raw bytes; then <see cref="Utf8Value"/> holds it, else <see cref="Text"/>.</summary>
    public bool IsUtf8 => _text is null;

    public ReadOnlySpan<char> Text => _text;

    public ReadOnlySpan<byte> Utf8Value => _utf8.Span;
}
