using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>
/// IPv4 routes of the main table from <c>/proc/&lt;pid&gt;/net/route</c> (net/ipv4/fib_trie.c,
/// fib_route_seq_show): a header, then tab-separated <c>Iface Destination Gateway Flags RefCnt
/// Use Metric Mask MTU Window IRTT</c>, addresses as the host-order print of a network-order
/// 32-bit word (as in /proc/net/tcp). Used to name the interface of a local address.
/// </summary>
internal static class ProcNetRoute
{
    /// <summary>One route: a destination prefix (network order) and its device.</summary>
    internal readonly record struct Route(string Interface, uint Destination, uint Mask);

    public static void Parse(ReadOnlySpan<byte> text, List<Route> into)
    {
        bool header = true;
        foreach (var range in text.Split((byte)'\n'))
        {
            if (header)
            {
                header = false;
                continue;
            }
            var line = text[range];
            ReadOnlySpan<byte> name = default, destination = default, mask = default;
            int field = 0;
            foreach (var part in line.Split((byte)'\t'))
            {
                var value = line[part].Trim((byte)' ');
                if (field == 0) name = value;
                else if (field == 1) destination = value;
                else if (field == 7) mask = value;
                field++;
            }
            if (field < 8 || name.IsEmpty || name.Length > 15) continue;
            if (!TryParseWord(destination, out uint d) || !TryParseWord(mask, out uint m)) continue;
            into.Add(new Route(Encoding.UTF8.GetString(name), d, m));
        }
    }

    /// <summary>The interface whose route covers <paramref name="address"/> most specifically.</summary>
    public static string? InterfaceFor(List<Route> routes, uint address)
    {
        string? best = null;
        uint bestMask = 0;
        foreach (var r in routes)
        {
            // A default route (mask 0) names the uplink, not the owner of the address.
            if (r.Mask == 0 || (address & r.Mask) != (r.Destination & r.Mask)) continue;
            if (best is null || r.Mask > bestMask)
            {
                best = r.Interface;
                bestMask = r.Mask;
            }
        }
        return best;
    }

    /// <summary>8 hex digits printed from a network-order word read as a host-order integer.</summary>
    private static bool TryParseWord(ReadOnlySpan<byte> hex, out uint networkOrder)
    {
        networkOrder = 0;
        if (hex.Length != 8 || !Utf8Parser.TryParse(hex, out uint printed, out int used, 'X') || used != 8) return false;
        // The kernel printed the in-memory word with %08X: on a little-endian host its bytes are
        // the address's reversed. The masks compare as big-endian values from here on.
        networkOrder = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(printed) : printed;
        return true;
    }
}
