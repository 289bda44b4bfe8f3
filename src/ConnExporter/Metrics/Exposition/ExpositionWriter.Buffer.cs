using System.Buffers;
using System.Text;

namespace ConnExporter.Metrics.Exposition;

// Staging into the output's memory, and the escaping both formats share for label values.
public sealed partial class ExpositionWriter
{
    /// <summary>ASCII that a label value carries as is: all but backslash, double quote and newline.</summary>
    private static readonly SearchValues<char> PlainLabelChars = SearchValues.Create(AsciiExcept("\\\"\n"));

    /// <summary>ASCII that a text 0.0.4 HELP carries as is: all but backslash and newline.</summary>
    private static readonly SearchValues<char> PlainHelpChars = SearchValues.Create(AsciiExcept("\\\n"));

    private static readonly SearchValues<byte> PlainLabelBytes = SearchValues.Create(Encoding.ASCII.GetBytes(AsciiExcept("\\\"\n")));

    private static string AsciiExcept(string excluded)
    {
        var chars = new List<char>(128);
        for (char c = '\0'; c < 128; c++)
        {
            if (!excluded.Contains(c, StringComparison.Ordinal))
                chars.Add(c);
        }
        return new string([.. chars]);
    }

    /// <summary>A span of at least <paramref name="size"/> writable bytes; follow with <see cref="Advance"/>.</summary>
    private Span<byte> Reserve(int size)
    {
        if (_buffer.Length - _position < size)
        {
            Flush();
            _buffer = _output.GetMemory(Math.Max(size, MinimumBufferSize));
        }
        return _buffer.Span[_position..];
    }

    private void Advance(int count) => _position += count;

    private void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _position++;
    }

    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = Reserve(1);
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>Metric and label names: ASCII by construction (checked in Debug builds).</summary>
    private void WriteName(ReadOnlySpan<char> name)
    {
        var span = Reserve(Encoding.UTF8.GetMaxByteCount(name.Length));
        Advance(Encoding.UTF8.GetBytes(name, span));
    }

    /// <summary>
    /// Backslash → <c>\\</c>, newline → <c>\n</c>, and (if asked) double quote → <c>\"</c>; text is
    /// encoded as UTF-8 with lone surrogates replaced by U+FFFD.
    /// </summary>
    private void WriteEscaped(ReadOnlySpan<char> text, bool escapeQuote)
    {
        var plain = escapeQuote ? PlainLabelChars : PlainHelpChars;
        while (!text.IsEmpty)
        {
            int special = text.IndexOfAnyExcept(plain);
            var run = special < 0 ? text : text[..special];
            while (!run.IsEmpty)
            {
                var span = Reserve(1);
                int n = Math.Min(span.Length, run.Length);
                Ascii.FromUtf16(run[..n], span, out int written);
                Advance(written);
                run = run[n..];
            }
            if (special < 0)
                return;

            text = text[special..];
            char c = text[0];
            if (c < 128)
            {
                WriteEscape((byte)c);
                text = text[1..];
                continue;
            }
            // Invalid UTF-16 (a lone surrogate) decodes to U+FFFD.
            Rune.DecodeFromUtf16(text, out Rune rune, out int consumed);
            Advance(rune.EncodeToUtf8(Reserve(4)));
            text = text[Math.Max(consumed, 1)..];
        }
    }

    /// <summary>As <see cref="WriteEscaped(ReadOnlySpan{char}, bool)"/> for raw bytes: each maximal invalid UTF-8 subsequence becomes U+FFFD.</summary>
    private void WriteEscaped(ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty)
        {
            int special = utf8.IndexOfAnyExcept(PlainLabelBytes);
            if (special < 0)
            {
                WriteBytes(utf8);
                return;
            }
            WriteBytes(utf8[..special]);
            utf8 = utf8[special..];
            if (utf8[0] < 128)
            {
                WriteEscape(utf8[0]);
                utf8 = utf8[1..];
                continue;
            }
            Rune.DecodeFromUtf8(utf8, out Rune rune, out int consumed);
            Advance(rune.EncodeToUtf8(Reserve(4)));
            utf8 = utf8[Math.Max(consumed, 1)..];
        }
    }

    private void WriteEscape(byte c)
    {
        var span = Reserve(2);
        span[0] = (byte)'\\';
        span[1] = c == '\n' ? (byte)'n' : c;
        Advance(2);
    }
}
