using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace ConnExporter.Cli;

/// <summary>
/// UTF-8 text into a fixed buffer that is written to a <see cref="Stream"/> whenever it fills:
/// what the connections command's table, summary and JSON all go through, so output of any
/// size costs one buffer and a write per 64 KiB, never a string or a write per line.
/// </summary>
/// <remarks>Also an <see cref="IBufferWriter{T}"/>, for <see cref="System.Text.Json.Utf8JsonWriter"/>:
/// only advanced (committed) bytes are ever written out, so a span handed out stays valid until
/// the next <see cref="GetSpan"/> or <see cref="GetMemory"/>, as the interface promises.</remarks>
public sealed class BufferedUtf8Output : IBufferWriter<byte>
{
    public const int DefaultCapacity = 64 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _count;

    public BufferedUtf8Output(Stream stream, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 256);
        _stream = stream;
        _buffer = new byte[capacity];
    }

    /// <summary>Bytes buffered and not yet written to the stream.</summary>
    public int Pending => _count;

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _count))
            throw new ArgumentOutOfRangeException(nameof(count), count, "advanced past the span handed out");
        _count += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_count);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_count);
    }

    /// <summary>Writes what is buffered to the stream and flushes it.</summary>
    public void Flush()
    {
        Drain();
        _stream.Flush();
    }

    public void WriteByte(byte value)
    {
        if (_count == _buffer.Length) Drain();
        _buffer[_count++] = value;
    }

    public void Write(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > _buffer.Length - _count)
        {
            Drain();
            if (utf8.Length > _buffer.Length)
            {
                _stream.Write(utf8);
                return;
            }
        }
        utf8.CopyTo(_buffer.AsSpan(_count));
        _count += utf8.Length;
    }

    /// <summary>Writes text as UTF-8 (invalid UTF-16 as U+FFFD).</summary>
    public void Write(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (most > _buffer.Length - _count)
        {
            Drain();
            if (most > _buffer.Length)
            {
                _stream.Write(Encoding.UTF8.GetBytes(text));
                return;
            }
        }
        _count += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_count));
    }

    public void Write(ulong value)
    {
        Reserve(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_count), out int written);
        _count += written;
    }

    /// <summary>Writes <paramref name="count"/> spaces (none when it is not positive).</summary>
    public void WriteSpaces(int count)
    {
        while (count > 0)
        {
            if (_count == _buffer.Length) Drain();
            int n = Math.Min(count, _buffer.Length - _count);
            _buffer.AsSpan(_count, n).Fill((byte)' ');
            _count += n;
            count -= n;
        }
    }

    private void Reserve(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (sizeHint <= _buffer.Length - _count) return;
        Drain();
        // Only a single item larger than the whole buffer grows it.
        if (sizeHint > _buffer.Length) _buffer = new byte[sizeHint];
    }

    private void Drain()
    {
        if (_count == 0) return;
        _stream.Write(_buffer, 0, _count);
        _count = 0;
    }
}
