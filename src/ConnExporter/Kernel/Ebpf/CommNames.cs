using System.Text;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Turns the kernel's 16-byte <c>comm</c> (NUL-padded, arbitrary bytes) into label strings,
/// interned by value so each scrape reuses the strings of the last. Invalid UTF-8 becomes U+FFFD.
/// </summary>
internal sealed class CommNames
{
    private const int MaxEntries = 8192;
    private readonly Dictionary<(ulong, ulong), string> _names = [];
    private readonly Lock _gate = new();

    public string Get(ReadOnlySpan<byte> comm)
    {
        comm = comm[..ConnEventsLayout.CommLength];
        var key = (HostOrder.ReadUInt64(comm), HostOrder.ReadUInt64(comm[8..]));
        lock (_gate)
        {
            if (_names.TryGetValue(key, out var name)) return name;
            int end = comm.IndexOf((byte)0);
            name = Encoding.UTF8.GetString(end < 0 ? comm : comm[..end]);
            if (_names.Count >= MaxEntries) _names.Clear();
            _names[key] = name;
            return name;
        }
    }
}
