using System.Runtime.InteropServices;
using ConnExporter.Inventory;

namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// Pure parser of the socket table that <c>/proc/net/tcp</c>, <c>tcp6</c>, <c>udp</c> and
/// <c>udp6</c> share: a header line, then one row per socket
/// (<c>sl local_address rem_address st tx_queue:rx_queue tr:tm-&gt;when retrnsmt uid timeout inode …</c>).
/// </summary>
/// <remarks>
/// Row formats: net/ipv4/tcp_ipv4.c (get_tcp4_sock, get_timewait4_sock, get_openreq4),
/// net/ipv6/tcp_ipv6.c (get_tcp6_sock, …), net/ipv4/udp.c (udp4_format_sock) and
/// net/ipv6/datagram.c (__ip6_dgram_sock_seq_show). Only the first ten fields are common to all
/// of them (TIME_WAIT and request rows stop after the socket pointer, UDP adds drops, IPv4 rows
/// are padded with spaces), so those ten are required and the rest is ignored.
/// </remarks>
internal static class ProcNetSocketTable
{
    private const int IPv4HexDigits = 8;
    private const int IPv6HexDigits = 32;
    private const int PortHexDigits = 4;

    // Problems are constants so a malformed row costs no allocation; only the first one is
    // formatted with its line number.
    private const string Truncated = "truncated (no newline at end of file)";
    private const string MissingFields = "fewer than 10 fields";
    private const string BadSlot = "slot is not a decimal number followed by ':'";
    private const string BadLocal = "local address is not hex address:port of the table's family";
    private const string BadRemote = "remote address is not hex address:port of the table's family";
    private const string BadState = "state is not 2 hex digits";
    private const string BadQueues = "queues are not hex tx_queue:rx_queue";
    private const string BadUid = "uid is not a 32-bit decimal number";
    private const string BadInode = "inode is not a decimal number";

    /// <summary>
    /// Appends one record per well-formed row of <paramref name="content"/> to
    /// <paramref name="sink"/>. Rows that cannot be parsed, and a last line without its newline
    /// (the read was cut short), are skipped and counted. Never throws on content.
    /// </summary>
    /// <param name="family">The table's family: <c>tcp</c>/<c>udp</c> hold 8-digit IPv4
    /// addresses, <c>tcp6</c>/<c>udp6</c> 32-digit IPv6 ones (v4-mapped peers stay IPv6).</param>
    public static SourceReadResult Parse(
        ReadOnlySpan<byte> content, SocketProtocol protocol, IpFamily family, List<SocketRecord> sink)
    {
        int malformed = 0;
        string? firstProblem = null;
        int lineNumber = 0;
        while (!content.IsEmpty)
        {
            lineNumber++;
            int newline = content.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line;
            if (newline >= 0)
            {
                line = content[..newline];
                content = content[(newline + 1)..];
            }
            else
            {
                line = content;
                content = default;
            }

            if (line.TrimStart((byte)' ').IsEmpty) continue;
            if (lineNumber == 1 && line.TrimStart((byte)' ').StartsWith("sl "u8)) continue;

            // A row cut off by the end of the buffer may still parse (an inode that lost digits),
            // so an unterminated line is never trusted.
            SocketRecord record = default;
            string? problem = newline < 0 ? Truncated : TryParseRow(line, protocol, family, out record);
            if (problem is null)
            {
                sink.Add(record);
                continue;
            }
            malformed++;
            firstProblem ??= $"line {lineNumber}: {problem}";
        }
        return new SourceReadResult(malformed, firstProblem);
    }

    private static string? TryParseRow(
        ReadOnlySpan<byte> line, SocketProtocol protocol, IpFamily family, out SocketRecord record)
    {
        record = default;
        var rest = line;
        var slot = NextField(ref rest);
        var local = NextField(ref rest);
        var remote = NextField(ref rest);
        var state = NextField(ref rest);
        var queues = NextField(ref rest);
        _ = NextField(ref rest);            // tr:tm->when, timer state
        _ = NextField(ref rest);            // retrnsmt
        var uid = NextField(ref rest);
        var timeout = NextField(ref rest);  // unused, but its presence keeps the inode in place
        var inode = NextField(ref rest);
        if (inode.IsEmpty || timeout.IsEmpty) return MissingFields;

        if (slot.Length < 2 || slot[^1] != (byte)':' || !TryParseDecimal(slot[..^1], out _)) return BadSlot;
        if (!TryParseEndpoint(local, family, out var localEndpoint)) return BadLocal;
        if (!TryParseEndpoint(remote, family, out var remoteEndpoint)) return BadRemote;
        if (state.Length != 2 || !TryParseHex(state, out uint stateNumber)) return BadState;

        int colon = queues.IndexOf((byte)':');
        if (colon < 0
            || !TryParseHex(queues[..colon], out uint sendQueue)
            || !TryParseHex(queues[(colon + 1)..], out uint receiveQueue))
        {
            return BadQueues;
        }

        if (!TryParseDecimal(uid, out ulong uidValue) || uidValue > uint.MaxValue) return BadUid;
        if (!TryParseDecimal(inode, out ulong inodeValue)) return BadInode;

        record = new SocketRecord(
            protocol,
            family,
            ToState(stateNumber),
            localEndpoint,
            remoteEndpoint,
            BoundInterfaceIndex: 0,     // procfs does not print sk_bound_dev_if
            Inode: inodeValue,
            Uid: (uint)uidValue,
            Cookie: 0,                  // nor the socket cookie
            ReceiveQueue: receiveQueue,
            SendQueue: sendQueue);      // and, unlike sock_diag, never tcp_info
        return null;
    }

    // include/net/tcp_states.h numbers 1..12; a state a newer kernel adds is kept as Unknown
    // rather than rejecting a row that is otherwise fine.
    private static SocketState ToState(uint number) =>
        number is >= (uint)SocketState.Established and <= (uint)SocketState.NewSynRecv
            ? (SocketState)number
            : SocketState.Unknown;

    /// <summary>Parses <c>ADDR:PORT</c>: 8 or 32 hex digits, a colon, 4 hex digits.</summary>
    private static bool TryParseEndpoint(ReadOnlySpan<byte> field, IpFamily family, out InetEndpoint endpoint)
    {
        endpoint = default;
        int addressDigits = family == IpFamily.IPv4 ? IPv4HexDigits : IPv6HexDigits;
        if (field.Length != addressDigits + 1 + PortHexDigits || field[addressDigits] != (byte)':') return false;
        if (!TryParseHex(field[(addressDigits + 1)..], out uint port)) return false;

        // The kernel prints the address as 32-bit words, each a %08X of the __be32/in6_addr word
        // loaded in host byte order (so 127.0.0.1 is "0100007F" on little-endian). Storing each
        // number back in host order restores the bytes as they were in memory: network order.
        Span<byte> bytes = stackalloc byte[16];
        for (int word = 0; word < addressDigits / 8; word++)
        {
            if (!TryParseHex(field.Slice(word * 8, 8), out uint value)) return false;
            MemoryMarshal.Write(bytes[(word * 4)..], in value);
        }
        var address = family == IpFamily.IPv4 ? InetAddress.FromIPv4(bytes) : InetAddress.FromIPv6(bytes);
        endpoint = new InetEndpoint(address, (ushort)port);
        return true;
    }

    /// <summary>The next space-separated field; empty when the line has no more.</summary>
    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> rest)
    {
        int start = rest.IndexOfAnyExcept((byte)' ');
        if (start < 0)
        {
            rest = default;
            return default;
        }
        rest = rest[start..];
        int end = rest.IndexOf((byte)' ');
        if (end < 0) end = rest.Length;
        var field = rest[..end];
        rest = rest[end..];
        return field;
    }

    /// <summary>1 to 8 hex digits, either case, nothing else.</summary>
    private static bool TryParseHex(ReadOnlySpan<byte> digits, out uint value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 8) return false;
        foreach (byte b in digits)
        {
            uint digit;
            if ((uint)(b - '0') <= 9) digit = (uint)(b - '0');
            else if ((uint)((b | 0x20) - 'a') <= 5) digit = (uint)((b | 0x20) - 'a' + 10);
            else return false;
            value = (value << 4) | digit;
        }
        return true;
    }

    /// <summary>1 to 20 decimal digits that fit in 64 bits, nothing else (no sign).</summary>
    private static bool TryParseDecimal(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 20) return false;
        foreach (byte b in digits)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9) return false;
            if (value > (ulong.MaxValue - digit) / 10) return false;
            value = value * 10 + digit;
        }
        return true;
    }
}
