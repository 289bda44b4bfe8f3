using System.Runtime.InteropServices;

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
    /// <remarks>In batches of many entries per system call where the kernel can (5.6+): a map of
    /// 32 768 label sets is a few hundred calls instead of two per entry.</remarks>
    public void ForEach(EntryVisitor visit)
    {
        if (!ForEachBatch(visit)) ForEachByKey(visit);
    }

    private const int BatchEntries = 512;

    /// <summary>False, having visited nothing, when the kernel has no batch lookup for this map.</summary>
    private unsafe bool ForEachBatch(EntryVisitor visit)
    {
        int entries = BatchEntries;
        var keys = new byte[KeySize * entries];
        var values = new byte[ValueStride * Copies * entries];
        // The position between calls: a bucket index (u32) for hashes, a key for arrays.
        var position = new byte[Math.Max(KeySize, 8)];
        var next = new byte[position.Length];
        bool first = true;
        while (true)
        {
            uint count = (uint)entries;
            int rc;
            fixed (byte* k = keys)
            fixed (byte* v = values)
            fixed (byte* inBatch = position)
            fixed (byte* outBatch = next)
                rc = Interop.Libbpf.BpfMapLookupBatch(_fd, first ? null : inBatch, outBatch, k, v, &count, null);
            var errno = rc == 0 ? 0 : (Interop.Errno)Marshal.GetLastPInvokeError();
            if (rc != 0 && errno == Interop.Errno.ENOSPC && count == 0)
            {
                // One bucket holds more than a batch: again from the same place with room for it.
                entries *= 4;
                keys = new byte[KeySize * entries];
                values = new byte[ValueStride * Copies * entries];
                continue;
            }
            if (rc != 0 && errno != Interop.Errno.ENOENT)
            {
                // No batch lookup (older kernel, this map type): the key walk instead, if nothing was visited yet.
                if (first) return false;
                throw new InvalidOperationException($"reading eBPF map {Name} failed: {errno}");
            }
            int stride = ValueStride * Copies;
            for (int i = 0; i < (int)count; i++)
                visit(keys.AsSpan(i * KeySize, KeySize), values.AsSpan(i * stride, stride));
            if (rc != 0) return true; // ENOENT: that was the last batch
            next.CopyTo(position, 0);
            first = false;
        }
    }

    private unsafe void ForEachByKey(EntryVisitor visit)
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
