using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace ConnExporter.Kernel.Btf;

/// <summary>
/// Finds a few named functions and struct members in a BTF file (the kernel's own,
/// <c>/sys/kernel/btf/vmlinux</c>), in two passes: the string section for the names' offsets,
/// then the type section for the types that carry them. The file is mapped where the kernel
/// allows it (its BTF since Linux 6.16: the kernel's own pages, no copy, nothing added to RSS),
/// else read through a 256 KiB buffer (copying the 5.5 MB out of sysfs costs ~2 ms). What
/// libbpf does before it relocates a program, for a program small enough to be written here and
/// patched with the offsets instead (the socket-descriptor iterator): libbpf's load of that
/// program, which parses the whole file, took 21 ms in a C test on the benchmark VM; this scan
/// takes 1–1.5 ms mapped.
/// </summary>
/// <remarks>
/// Format: include/uapi/linux/btf.h and Documentation/bpf/btf.rst. Only members named directly in
/// the struct are found (not those of an anonymous struct or union inside it); a missing name
/// is reported as missing, never guessed.
/// </remarks>
internal sealed class BtfLookup
{
    private const ushort Magic = 0xEB9F;
    private const int HeaderMinimum = 24;
    private const int TypeHeaderSize = 12;
    private const int BufferSize = 256 * 1024;

    // BTF_KIND_* (include/uapi/linux/btf.h)
    private const int KindInt = 1, KindArray = 3, KindStruct = 4, KindUnion = 5, KindEnum = 6;
    private const int KindFunc = 12, KindFuncProto = 13, KindVar = 14, KindDatasec = 15;
    private const int KindDeclTag = 17, KindEnum64 = 19;

    private readonly Dictionary<string, int> _functions = [];
    private readonly Dictionary<(string Struct, string Member), int> _members = [];

    private BtfLookup()
    {
    }

    /// <summary>The type id of the function <paramref name="name"/>; 0 when it is not there.</summary>
    public int FunctionId(string name) => _functions.GetValueOrDefault(name);

    /// <summary>The byte offset of <paramref name="member"/> in struct <paramref name="structName"/>; -1 when not found.</summary>
    public int MemberOffset(string structName, string member) =>
        _members.TryGetValue((structName, member), out int offset) ? offset : -1;

    /// <summary>
    /// Scans <paramref name="path"/> for <paramref name="functions"/> and <paramref name="members"/>.
    /// Null, with the reason in <paramref name="problem"/>, when the file cannot be read or is
    /// not BTF; names that are simply absent are not a problem (see <see cref="FunctionId"/>).
    /// </summary>
    /// <param name="map">False reads through the buffer even where the file could be mapped (tests).</param>
    public static BtfLookup? Scan(string path, IReadOnlyList<string> functions,
        IReadOnlyList<(string Struct, string Member)> members, out string? problem, bool map = true)
    {
        byte[] nulTerminatedPath = [.. Encoding.UTF8.GetBytes(path), 0];
        if (!ScopedFileDescriptor.TryOpenAt(Interop.AtFdCwd, nulTerminatedPath, Interop.OpenFlags.O_RDONLY, out var file, out var error))
        {
            problem = $"cannot open {path} ({error})";
            return null;
        }
        using (file)
        {
            var reader = new Reader(file.Value);
            try
            {
                if (map) reader.TryMap(nulTerminatedPath);
                var lookup = new BtfLookup();
                problem = lookup.Fill(ref reader, functions, members);
                return problem is null ? lookup : null;
            }
            finally
            {
                reader.Unmap();
            }
        }
    }

    private string? Fill(ref Reader reader, IReadOnlyList<string> functions, IReadOnlyList<(string Struct, string Member)> members)
    {
        if (!reader.Ensure(0, HeaderMinimum)) return reader.Problem ?? "shorter than a BTF header";
        var header = reader.At(0, HeaderMinimum);
        if (BinaryPrimitives.ReadUInt16LittleEndian(header) != Magic)
            return "not BTF of this byte order (magic)";
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        uint typeOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        uint typeLength = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        uint stringOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        uint stringLength = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        if (headerLength < HeaderMinimum) return "BTF header too short";

        // Pass 1: where each wanted name starts in the string section (BTF deduplicates strings,
        // so a name is one offset).
        var names = new List<string>();
        foreach (string f in functions) names.Add(f);
        foreach (var (s, m) in members)
        {
            names.Add(s);
            names.Add(m);
        }
        var offsets = FindStrings(ref reader, (long)headerLength + stringOffset, stringLength, names);
        if (reader.Problem is { } stringProblem) return stringProblem;

        // The name offsets looked for: a few, so a linear search beats hashing each of ~140k types.
        var functionNames = new List<uint>();
        var functionTexts = new List<string>();
        foreach (string f in functions)
        {
            if (!offsets.TryGetValue(f, out uint o)) continue;
            functionNames.Add(o);
            functionTexts.Add(f);
        }
        var structNames = new List<uint>();
        var structTexts = new List<string>();
        var structMembers = new List<Dictionary<uint, string>>();
        foreach (var (s, m) in members)
        {
            if (!offsets.TryGetValue(s, out uint so) || !offsets.TryGetValue(m, out uint mo)) continue;
            int index = structNames.IndexOf(so);
            if (index < 0)
            {
                index = structNames.Count;
                structNames.Add(so);
                structTexts.Add(s);
                structMembers.Add([]);
            }
            structMembers[index][mo] = m;
        }
        var functionSpan = functionNames.ToArray();
        var structSpan = structNames.ToArray();

        // Pass 2: the types, numbered from 1 in file order, a buffer's worth at a time.
        long position = (long)headerLength + typeOffset;
        long end = position + typeLength;
        int id = 1;
        int needed = TypeHeaderSize;
        while (position < end)
        {
            if (!reader.Ensure(position, needed)) return reader.Problem ?? "type section cut short";
            var window = reader.From(position, end);
            int at = 0;
            needed = TypeHeaderSize;
            while (at + TypeHeaderSize <= window.Length)
            {
                var type = window.Slice(at, TypeHeaderSize);
                uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(type);
                uint info = BinaryPrimitives.ReadUInt32LittleEndian(type[4..]);
                int kind = (int)((info >> 24) & 0x1f);
                int vlen = (int)(info & 0xffff);
                int size = TypeHeaderSize + TrailerSize(kind, vlen);
                if (kind == KindFunc)
                {
                    int f = Array.IndexOf(functionSpan, nameOffset);
                    if (f >= 0) _functions.TryAdd(functionTexts[f], id);
                }
                else if (kind == KindStruct && vlen > 0 && Array.IndexOf(structSpan, nameOffset) is int index and >= 0)
                {
                    if (at + size > window.Length)
                    {
                        needed = size; // its members continue past the buffer: read again from it
                        break;
                    }
                    AddMembers(structTexts[index], structMembers[index], window.Slice(at + TypeHeaderSize, size - TypeHeaderSize),
                        vlen, kindFlag: (info & 0x8000_0000) != 0);
                }
                at += size;
                id++;
            }
            position += at;
        }
        return null;
    }

    private void AddMembers(string structName, Dictionary<uint, string> wanted, ReadOnlySpan<byte> records, int count, bool kindFlag)
    {
        for (int i = 0; i < count; i++)
        {
            var record = records.Slice(i * 12, 12);
            if (!wanted.TryGetValue(BinaryPrimitives.ReadUInt32LittleEndian(record), out string? member)) continue;
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
            if (kindFlag) bits &= 0xff_ffff; // the top byte is a bitfield's width
            if (bits % 8 == 0) _members.TryAdd((structName, member), (int)(bits / 8));
        }
    }

    /// <summary>The bytes after a type's 12-byte header (Documentation/bpf/btf.rst, 2.2).</summary>
    private static int TrailerSize(int kind, int vlen) => kind switch
    {
        KindInt or KindVar or KindDeclTag => 4,
        KindArray => 12,
        KindStruct or KindUnion or KindDatasec or KindEnum64 => vlen * 12,
        KindEnum or KindFuncProto => vlen * 8,
        _ => 0, // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
    };

    private static Dictionary<string, uint> FindStrings(ref Reader reader, long start, uint length, List<string> names)
    {
        // Searched as "name\0" with the NUL before it checked apart: a pattern that began and
        // ended with NUL would make the vectorised search stop at every pair of string ends.
        var patterns = new List<(string Name, byte[] Pattern)>();
        int longest = 0;
        foreach (string name in names.Distinct())
        {
            byte[] pattern = [.. Encoding.UTF8.GetBytes(name), 0];
            patterns.Add((name, pattern));
            longest = Math.Max(longest, pattern.Length + 1);
        }
        var found = new Dictionary<string, uint>();
        long end = start + length;
        long position = start;
        while (position < end && found.Count < patterns.Count)
        {
            int chunk = (int)Math.Min(BufferSize, end - position);
            if (!reader.Ensure(position, chunk)) break;
            var bytes = reader.At(position, chunk);
            foreach (var (name, pattern) in patterns)
            {
                if (found.ContainsKey(name)) continue;
                if (IndexOfString(bytes, pattern, atSectionStart: position == start) is int at and >= 0)
                    found[name] = (uint)(position - start + at);
            }
            if (position + chunk >= end) break;
            // Overlap by a pattern's length so a name across two chunks is still seen.
            position += chunk - longest;
        }
        return found;
    }

    /// <summary>Where a whole NUL-terminated string equal to <paramref name="pattern"/> starts; -1 if none.</summary>
    private static int IndexOfString(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> pattern, bool atSectionStart)
    {
        int from = 0;
        while (from < bytes.Length)
        {
            int at = bytes[from..].IndexOf(pattern);
            if (at < 0) return -1;
            at += from;
            // A string starts after a NUL, or at the section's first byte (the empty string, in
            // valid BTF, so never a name); a match inside a longer string is not one.
            if (at > 0 ? bytes[at - 1] == 0 : atSectionStart) return at;
            from = at + 1;
        }
        return -1;
    }

    /// <summary>
    /// The file as the passes move through it: mapped whole when the kernel allows it, else a
    /// window read with pread.
    /// </summary>
    private unsafe struct Reader(int fd)
    {
        private byte[] _buffer = [];
        private long _start;   // file offset of the window's first byte
        private int _length;   // valid bytes in the window
        private byte* _mapped;
        private long _mappedLength;

        public string? Problem { get; private set; }

        public readonly ReadOnlySpan<byte> At(long position, int count) => _mapped != null
            ? new ReadOnlySpan<byte>(_mapped + position, count)
            : _buffer.AsSpan((int)(position - _start), count);

        /// <summary>What the window holds from <paramref name="position"/> on, up to <paramref name="end"/>.</summary>
        public readonly ReadOnlySpan<byte> From(long position, long end) => _mapped != null
            ? new ReadOnlySpan<byte>(_mapped + position, (int)Math.Min(int.MaxValue, Math.Min(end, _mappedLength) - position))
            : _buffer.AsSpan((int)(position - _start), (int)(Math.Min(end, _start + _length) - position));

        /// <summary>Maps the whole file read-only; stays with pread when the file cannot be mapped.</summary>
        public void TryMap(ReadOnlySpan<byte> nulTerminatedPath)
        {
            if (!ProcFs.ProcFile.TryGetSize(Interop.AtFdCwd, nulTerminatedPath, out ulong size)
                || size is 0 or > int.MaxValue)
                return;
            void* mapped = Interop.Mmap(null, (nuint)size, Interop.ProtRead, Interop.MapPrivate, fd, 0);
            if (mapped == Interop.MapFailed) return;
            _mapped = (byte*)mapped;
            _mappedLength = (long)size;
        }

        public void Unmap()
        {
            if (_mapped == null) return;
            _ = Interop.Munmap(_mapped, (nuint)_mappedLength);
            _mapped = null;
        }

        /// <summary>Makes [position, position + count) available; false at end of file or on error.</summary>
        public bool Ensure(long position, int count)
        {
            if (_mapped != null) return position + count <= _mappedLength;
            if (position >= _start && position + count <= _start + _length) return true;
            if (_buffer.Length == 0) _buffer = new byte[BufferSize];
            if (count > _buffer.Length) _buffer = new byte[count];
            _start = position;
            _length = 0;
            fixed (byte* buffer = _buffer)
            {
                while (_length < _buffer.Length)
                {
                    nint n = Interop.Pread(fd, buffer + _length, (nuint)(_buffer.Length - _length), _start + _length);
                    if (n == 0) break;
                    if (n < 0)
                    {
                        var error = (Interop.Errno)Marshal.GetLastPInvokeError();
                        if (error == Interop.Errno.EINTR) continue;
                        Problem = $"read failed ({error})";
                        return false;
                    }
                    _length += (int)n;
                }
            }
            return _length >= count;
        }
    }
}
