using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace ConnExporter.Kernel.Btf;

/// <summary>
/// Finds a few named functions and struct members in a BTF file (the kernel's own,
/// <c>/sys/kernel/btf/vmlinux</c>), in two streaming passes and a 256 KiB buffer: the string
/// section for the names' offsets, then the type section for the types that carry them. What
/// libbpf does before it relocates a program, for a program small enough to be written here and
/// patched with the offsets instead (the socket-descriptor iterator): libbpf's full parse of the
/// ~5.5 MB file takes ~20 ms and ~15 MB, this ~2 ms and no more than its buffer.
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
    public static BtfLookup? Scan(string path, IReadOnlyList<string> functions,
        IReadOnlyList<(string Struct, string Member)> members, out string? problem)
    {
        if (!ScopedFileDescriptor.TryOpenAt(Interop.AtFdCwd, [.. Encoding.UTF8.GetBytes(path), 0],
                Interop.OpenFlags.O_RDONLY, out var file, out var error))
        {
            problem = $"cannot open {path} ({error})";
            return null;
        }
        using (file)
        {
            var reader = new Reader(file.Value);
            var lookup = new BtfLookup();
            problem = lookup.Fill(ref reader, functions, members);
            return problem is null ? lookup : null;
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

        var wantedFunctions = new Dictionary<uint, string>();
        foreach (string f in functions)
            if (offsets.TryGetValue(f, out uint o)) wantedFunctions[o] = f;
        var wantedStructs = new Dictionary<uint, Dictionary<uint, string>>();
        foreach (var (s, m) in members)
        {
            if (!offsets.TryGetValue(s, out uint so) || !offsets.TryGetValue(m, out uint mo)) continue;
            if (!wantedStructs.TryGetValue(so, out var byMember)) wantedStructs[so] = byMember = [];
            byMember[mo] = m;
        }

        // Pass 2: the types, numbered from 1 in file order.
        long position = (long)headerLength + typeOffset;
        long end = position + typeLength;
        int id = 1;
        while (position < end)
        {
            if (!reader.Ensure(position, TypeHeaderSize)) return reader.Problem ?? "type section cut short";
            var type = reader.At(position, TypeHeaderSize);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(type);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(type[4..]);
            int kind = (int)((info >> 24) & 0x1f);
            int vlen = (int)(info & 0xffff);
            bool kindFlag = (info & 0x8000_0000) != 0;
            int size = TypeHeaderSize + TrailerSize(kind, vlen);

            if (kind == KindFunc && wantedFunctions.Remove(nameOffset, out string? function))
            {
                _functions[function] = id;
            }
            else if (kind is KindStruct && vlen > 0 && wantedStructs.TryGetValue(nameOffset, out var byMember))
            {
                if (!reader.Ensure(position, size)) return reader.Problem ?? "type section cut short";
                string structName = StructName(offsets, nameOffset);
                var memberRecords = reader.At(position + TypeHeaderSize, size - TypeHeaderSize);
                for (int i = 0; i < vlen; i++)
                {
                    var record = memberRecords.Slice(i * 12, 12);
                    if (!byMember.TryGetValue(BinaryPrimitives.ReadUInt32LittleEndian(record), out string? member)) continue;
                    uint bits = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
                    if (kindFlag) bits &= 0xff_ffff; // the top byte is a bitfield's width
                    if (bits % 8 == 0) _members.TryAdd((structName, member), (int)(bits / 8));
                }
            }
            position += size;
            id++;
        }
        return null;
    }

    private static string StructName(Dictionary<string, uint> offsets, uint nameOffset)
    {
        foreach (var (name, offset) in offsets)
            if (offset == nameOffset) return name;
        throw new InvalidOperationException("a wanted struct without its name");
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
        var patterns = new List<(string Name, byte[] Pattern)>();
        int longest = 0;
        foreach (string name in names.Distinct())
        {
            byte[] pattern = [0, .. Encoding.UTF8.GetBytes(name), 0];
            patterns.Add((name, pattern));
            longest = Math.Max(longest, pattern.Length);
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
                int at = bytes.IndexOf(pattern);
                if (at >= 0) found[name] = (uint)(position - start + at + 1);
            }
            if (position + chunk >= end) break;
            // Overlap by a pattern's length so a name across two chunks is still seen.
            position += chunk - longest;
        }
        return found;
    }

    /// <summary>A window of the file, read with pread as the passes move through it.</summary>
    private struct Reader(int fd)
    {
        private byte[] _buffer = new byte[BufferSize];
        private long _start;   // file offset of _buffer[0]
        private int _length;   // valid bytes in _buffer

        public string? Problem { get; private set; }

        public readonly ReadOnlySpan<byte> At(long position, int count) =>
            _buffer.AsSpan((int)(position - _start), count);

        /// <summary>Makes [position, position + count) available; false at end of file or on error.</summary>
        public unsafe bool Ensure(long position, int count)
        {
            if (position >= _start && position + count <= _start + _length) return true;
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
