using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// Enumerates an open directory with <c>getdents64(2)</c> into a caller-owned buffer, handing
/// out each name as a span of that buffer: listing <c>/proc</c> or <c>/proc/&lt;pid&gt;/fd</c>
/// allocates nothing per entry. A name span is valid until the next <see cref="MoveNext"/>.
/// </summary>
internal ref struct DirectoryEntries
{
    // struct linux_dirent64 (include/linux/dirent.h):
    //   u64 d_ino; s64 d_off; unsigned short d_reclen; unsigned char d_type; char d_name[];
    // d_name is NUL-terminated and the record padded to 8 bytes; d_reclen covers it all.
    private const int InodeOffset = 0;
    private const int RecordLengthOffset = 16;
    private const int TypeOffset = 18;
    private const int NameOffset = 19;

    private readonly int _fd;
    private readonly Span<byte> _buffer;
    private int _offset;
    private int _length;
    private DirectoryEntry _current;

    /// <param name="fd">A directory opened with O_DIRECTORY; the caller keeps ownership.</param>
    /// <param name="buffer">Scratch space; a few KiB holds ~100 entries per syscall.</param>
    public DirectoryEntries(int fd, Span<byte> buffer)
    {
        _fd = fd;
        _buffer = buffer;
    }

    public readonly DirectoryEntry Current => _current;

    /// <summary>The errno getdents64 failed with, 0 when the listing ended normally.</summary>
    public Interop.Errno Error { get; private set; }

    /// <summary>The kernel returned a record that does not fit its own length fields.</summary>
    public bool Malformed { get; private set; }

    public readonly DirectoryEntries GetEnumerator() => this;

    public unsafe bool MoveNext()
    {
        if (_offset >= _length)
        {
            nint n;
            fixed (byte* p = _buffer)
                n = Interop.GetDents64(_fd, p, (nuint)_buffer.Length);
            if (n <= 0)
            {
                if (n < 0) Error = (Interop.Errno)Marshal.GetLastPInvokeError();
                _offset = _length = 0;
                return false;
            }
            _offset = 0;
            _length = (int)n;
        }

        var rest = _buffer[_offset.._length];
        if (rest.Length < NameOffset + 1) return Stop();
        // The kernel fills the record in host byte order.
        int recordLength = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt16LittleEndian(rest[RecordLengthOffset..])
            : BinaryPrimitives.ReadUInt16BigEndian(rest[RecordLengthOffset..]);
        if (recordLength < NameOffset + 1 || recordLength > rest.Length) return Stop();

        var record = rest[..recordLength];
        var nameArea = record[NameOffset..];
        int nul = nameArea.IndexOf((byte)0);
        if (nul < 0) return Stop();

        ulong inode = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt64LittleEndian(record[InodeOffset..])
            : BinaryPrimitives.ReadUInt64BigEndian(record[InodeOffset..]);
        _current = new DirectoryEntry(inode, record[TypeOffset], nameArea[..(nul + 1)]);
        _offset += recordLength;
        return true;
    }

    private bool Stop()
    {
        Malformed = true;
        _offset = _length = 0;
        return false;
    }
}

/// <summary>One <c>linux_dirent64</c> record; its spans point into the enumerator's buffer.</summary>
internal readonly ref struct DirectoryEntry
{
    /// <summary>d_type of a directory (DT_DIR in include/linux/fs_types.h).</summary>
    public const byte TypeDirectory = 4;

    /// <summary>DT_UNKNOWN: the filesystem did not say; the caller must not assume.</summary>
    public const byte TypeUnknown = 0;

    private readonly ReadOnlySpan<byte> _nulTerminatedName;

    public DirectoryEntry(ulong inode, byte type, ReadOnlySpan<byte> nulTerminatedName)
    {
        Inode = inode;
        Type = type;
        _nulTerminatedName = nulTerminatedName;
    }

    public ulong Inode { get; }

    /// <summary>d_type (DT_*); DT_UNKNOWN (0) on filesystems that do not fill it.</summary>
    public byte Type { get; }

    public ReadOnlySpan<byte> Name => _nulTerminatedName[..^1];

    /// <summary>The name with its NUL, ready to pass to an *at() call without copying.</summary>
    public ReadOnlySpan<byte> NulTerminatedName => _nulTerminatedName;

    /// <summary>
    /// Parses a name made only of decimal digits (a pid in /proc, an fd number in fd/) that
    /// fits an int; anything else (".", "self", "thread-self") is false.
    /// </summary>
    public bool TryParseNumber(out int number) => DecimalName.TryParse(Name, out number);
}
