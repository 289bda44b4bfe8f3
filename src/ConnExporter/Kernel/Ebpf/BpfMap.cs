namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// A loaded map's descriptor (owned by its bpf_object) with the key and value sizes the C code
/// declares. Per-CPU maps return one value per possible CPU, each padded to 8 bytes
/// (kernel/bpf/syscall.c, bpf_map_value_size), which <see cref="ValueStride"/> accounts for.
/// </summary>
internal readonly struct BpfMap
{
    public delegate void EntryVisitor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> values);

    private readonly int _fd;

    public BpfMap(string name, int fd, int keySize, int valueSize, int cpus)
    {
        Name = name;
        _fd = fd;
        KeySize = keySize;
        ValueSize = valueSize;
        Copies = Math.Max(cpus, 1);
    }

    public string Name { get; }

    public int KeySize { get; }

    public int ValueSize { get; }

    /// <summary>Values per key: possible CPUs for per-CPU maps, else 1.</summary>
    public int Copies { get; }

    public int ValueStride => Copies == 1 ? ValueSize : (ValueSize + 7) & ~7;

    /// <summary>
    /// Visits every entry. Keys added meanwhile may or may not be seen; a key deleted by the
    /// caller during the walk would restart it, so deletions are collected and done after.
    /// </summary>
    public unsafe void ForEach(EntryVisitor visit)
    {
        var previous = new byte[KeySize];
        var next = new byte[KeySize];
        var values = new byte[ValueStride * Copies];
        bool first = true;
        fixed (byte* prev = previous)
        fixed (byte* nxt = next)
        fixed (byte* val = values)
        {
            while (Interop.Libbpf.BpfMapGetNextKey(_fd, first ? null : prev, nxt) == 0)
            {
                first = false;
                // A key deleted between get_next_key and lookup (LRU eviction) is skipped.
                if (Interop.Libbpf.BpfMapLookupElem(_fd, nxt, val) == 0)
                    visit(next, values);
                next.CopyTo(previous, 0);
            }
        }
    }

    /// <summary>Looks one key up; false when absent.</summary>
    public unsafe bool TryLookup(ReadOnlySpan<byte> key, Span<byte> values)
    {
        if (key.Length != KeySize || values.Length < ValueStride * Copies)
            throw new ArgumentException("key or value buffer does not match the map");
        fixed (byte* k = key)
        fixed (byte* v = values)
            return Interop.Libbpf.BpfMapLookupElem(_fd, k, v) == 0;
    }

    public unsafe void Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
            Interop.Libbpf.BpfMapDeleteElem(_fd, k);
    }

    /// <summary>Sums the 64-bit counter at <paramref name="offset"/> over every CPU's copy.</summary>
    public ulong Sum(ReadOnlySpan<byte> values, int offset)
    {
        ulong total = 0;
        for (int cpu = 0; cpu < Copies; cpu++)
            total += Netlink.HostOrder.ReadUInt64(values.Slice(cpu * ValueStride + offset, 8));
        return total;
    }
}
