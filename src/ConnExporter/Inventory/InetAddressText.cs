using System.Buffers.Text;

namespace ConnExporter.Inventory;

/// <summary>
/// Formats an <see cref="InetAddress"/> as UTF-8 text without allocating: IPv4 dotted quads,
/// IPv6 in RFC 5952 form (lower-case hex, the longest run of two or more zero groups as
/// <c>::</c>, the first of equal runs), byte for byte what <see cref="System.Net.IPAddress"/> prints.
/// </summary>
/// <remarks>The few IPv6 forms <see cref="System.Net.IPAddress"/> prints with an embedded IPv4 part
/// (<c>::a.b.c.d</c>, <c>::ffff:0:a.b.c.d</c>, ISATAP) go through it: rare enough that their
/// allocation does not matter, and its output stays the reference.</remarks>
public static class InetAddressText
{
    /// <summary>The longest text: an IPv6 address with an embedded IPv4 part.</summary>
    public const int MaxLength = 45;

    /// <summary>Writes the address into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes); returns the byte count.</summary>
    public static int Format(in InetAddress address, Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[16];
        int n = address.WriteBytes(bytes);
        return n == 4 ? FormatIPv4(bytes, destination) : FormatIPv6(address, bytes, destination);
    }

    private static int FormatIPv4(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        int at = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0) destination[at++] = (byte)'.';
            Utf8Formatter.TryFormat(bytes[i], destination[at..], out int written);
            at += written;
        }
        return at;
    }

    private static int FormatIPv6(in InetAddress address, ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        Span<ushort> words = stackalloc ushort[8];
        for (int i = 0; i < 8; i++) words[i] = (ushort)(bytes[2 * i] << 8 | bytes[2 * i + 1]);
        if (HasEmbeddedIPv4(words)) return FormatThroughIPAddress(address, destination);

        // The longest run of zero words (two or more), the first when runs tie (RFC 5952 4.2).
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8;)
        {
            if (words[i] != 0)
            {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && words[i] == 0) i++;
            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }

        int at = 0;
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                destination[at++] = (byte)':';
                destination[at++] = (byte)':';
                i += bestLength - 1;
                continue;
            }
            if (at > 0 && destination[at - 1] != ':') destination[at++] = (byte)':';
            at += WriteHex(words[i], destination[at..]);
        }
        return at;
    }

    private static int WriteHex(ushort value, Span<byte> destination)
    {
        int digits = value >= 0x1000 ? 4 : value >= 0x100 ? 3 : value >= 0x10 ? 2 : 1;
        for (int d = digits - 1; d >= 0; d--)
        {
            int nibble = value & 0xF;
            destination[d] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            value >>= 4;
        }
        return digits;
    }

    /// <summary>Where <see cref="System.Net.IPAddress"/> prints the last 32 bits as a dotted quad.</summary>
    private static bool HasEmbeddedIPv4(ReadOnlySpan<ushort> w)
    {
        if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[6] != 0)
        {
            if (w[4] == 0 && (w[5] == 0 || w[5] == 0xFFFF)) return true;
            if (w[4] == 0xFFFF && w[5] == 0) return true;
        }
        return w[4] == 0 && w[5] == 0x5EFE;
    }

    private static int FormatThroughIPAddress(in InetAddress address, Span<byte> destination)
    {
        Span<char> text = stackalloc char[MaxLength + 20];
        address.TryFormat(text, out int chars);
        for (int i = 0; i < chars; i++) destination[i] = (byte)text[i];
        return chars;
    }
}
