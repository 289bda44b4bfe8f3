using System.Buffers.Text;
using System.Text;
using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>
/// <c>/proc/net/if_inet6</c>: every IPv6 address with its interface index and name, one per
/// line (<c>fe80…0001 04 40 20 80 eth0</c>: address, index, prefix length, scope, flags, name,
/// all hex but the name). Readable without netlink, which is why it is used.
/// </summary>
internal static class ProcNetIfInet6
{
    /// <summary>Appends the addresses of well-formed lines; returns how many lines were not.</summary>
    public static int Parse(ReadOnlySpan<byte> text, List<InterfaceAddress> into)
    {
        int malformed = 0;
        Span<byte> address = stackalloc byte[16];
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range].Trim((byte)' ');
            if (line.IsEmpty) continue;
            if (TryParseLine(line, address, out int index, out var name))
                into.Add(new InterfaceAddress(name, index, InetAddress.FromIPv6(address)));
            else
                malformed++;
        }
        return malformed;
    }

    private static bool TryParseLine(ReadOnlySpan<byte> line, Span<byte> address, out int index, out string name)
    {
        index = 0;
        name = "";
        Span<Range> fields = stackalloc Range[7];
        int count = 0;
        foreach (var field in line.Split((byte)' '))
        {
            if (line[field].IsEmpty) continue;
            if (count == fields.Length) return false;
            fields[count++] = field;
        }
        if (count != 6) return false;
        var hex = line[fields[0]];
        if (hex.Length != 32) return false;
        for (int i = 0; i < 16; i++)
        {
            if (!Utf8Parser.TryParse(hex.Slice(2 * i, 2), out byte b, out int used, 'x') || used != 2) return false;
            address[i] = b;
        }
        if (!Utf8Parser.TryParse(line[fields[1]], out index, out int indexUsed, 'x') || indexUsed != line[fields[1]].Length)
            return false;
        var nameBytes = line[fields[5]];
        if (nameBytes.Length > 15) return false;
        name = Encoding.UTF8.GetString(nameBytes);
        return true;
    }
}
