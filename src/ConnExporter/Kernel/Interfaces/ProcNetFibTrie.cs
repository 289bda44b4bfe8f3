using System.Buffers.Text;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>
/// The IPv4 addresses configured in a network namespace, from <c>/proc/&lt;pid&gt;/net/fib_trie</c>
/// (net/ipv4/fib_trie.c, fib_trie_seq_show): each leaf is a <c>|-- a.b.c.d</c> line followed by
/// one line per route on it; a local address is a leaf with a <c>/32 host LOCAL</c> route.
/// World-readable, and per namespace, unlike the SIOCGIFCONF ioctl, which needs a socket inside.
/// </summary>
internal static class ProcNetFibTrie
{
    /// <summary>Appends each local address once (the file lists the Main and Local tables).</summary>
    public static void ParseLocalAddresses(ReadOnlySpan<byte> text, List<uint> networkOrderInto)
    {
        uint leaf = 0;
        bool haveLeaf = false;
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range].Trim((byte)' ');
            if (line.StartsWith("|-- "u8))
            {
                haveLeaf = TryParseDotted(line[4..].Trim((byte)' '), out leaf);
            }
            else if (haveLeaf && line.StartsWith("/32 host LOCAL"u8))
            {
                if (!networkOrderInto.Contains(leaf)) networkOrderInto.Add(leaf);
            }
            else if (!line.StartsWith("/"u8))
            {
                haveLeaf = false;
            }
        }
    }

    /// <summary>a.b.c.d as a big-endian (network order) value.</summary>
    internal static bool TryParseDotted(ReadOnlySpan<byte> text, out uint address)
    {
        address = 0;
        for (int part = 0; part < 4; part++)
        {
            if (!Utf8Parser.TryParse(text, out byte value, out int used) || used == 0) return false;
            address = (address << 8) | value;
            text = text[used..];
            if (part < 3)
            {
                if (text.IsEmpty || text[0] != (byte)'.') return false;
                text = text[1..];
            }
        }
        return text.IsEmpty;
    }
}
