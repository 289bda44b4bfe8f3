using System.Buffers.Text;
using System.Text;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>
/// Writes connections as a table in the spirit of <c>ss -tuanp</c>, plus interface, direction,
/// namespace, container and unit columns, streamed through one <see cref="BufferedUtf8Output"/>.
/// </summary>
/// <remarks>Nothing per row is kept: a first walk over the snapshot measures each column (the
/// lengths of numbers, addresses and names the snapshot already holds, nothing formatted into
/// strings), the second writes the rows. The process column is last and unpadded, so the
/// longest owner list widens no other row.</remarks>
public static class ConnectionsTableWriter
{
    private static readonly string[] Header =
        ["Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Interface", "Direction", "Netns", "Container", "Unit", "Process"];

    private const int Columns = 12;

    /// <summary>The longest endpoint: <c>[</c> IPv6 with embedded IPv4 <c>]:65535</c>.</summary>
    internal const int MaxEndpointLength = InetAddressText.MaxLength + 8;

    /// <summary>Writes the connections <paramref name="filter"/> selects and flushes.</summary>
    public static void Write(Stream output, IReadOnlyList<Connection> connections, ConnectionFilter? filter = null)
    {
        var buffer = new BufferedUtf8Output(output);
        Write(buffer, connections, filter ?? ConnectionFilter.None);
        buffer.Flush();
    }

    /// <summary>Writes the selected connections into <paramref name="output"/> (not flushed).</summary>
    /// <remarks>Many rows are measured and formatted on two threads (<see cref="RowBlocks"/>):
    /// the same bytes.</remarks>
    public static void Write(BufferedUtf8Output output, IReadOnlyList<Connection> connections, ConnectionFilter filter)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(filter);
        int[][] halves = [new int[Columns], new int[Columns]];
        int measured = RowBlocks.ForHalves(connections.Count, (half, start, end) => Measure(connections, filter, halves[half], start, end));
        var widths = halves[0];
        for (int h = 1; h < measured; h++)
            for (int i = 0; i < Columns; i++) widths[i] = Math.Max(widths[i], halves[h][i]);

        for (int i = 0; i < Columns; i++)
        {
            if (i == Columns - 1)
            {
                output.Write(Header[i]);
                break;
            }
            output.Write(Header[i]);
            output.WriteSpaces(widths[i] - Header[i].Length + 1);
        }
        output.WriteByte((byte)'\n');
        RowBlocks.Write(output, connections.Count, BlockRows, (into, start, end) => WriteRows(into, connections, filter, widths, start, end));
    }

    /// <summary>Rows per block on the second thread: about <see cref="RowBlocks.BlockBytes"/> of
    /// text (a row without owners is ~110 bytes).</summary>
    private const int BlockRows = 512;

    private static void Measure(IReadOnlyList<Connection> connections, ConnectionFilter filter, int[] widths, int start, int end)
    {
        for (int i = 0; i < Columns; i++) widths[i] = Header[i].Length;
        Span<byte> endpoint = stackalloc byte[MaxEndpointLength];
        for (int i = start; i < end; i++)
        {
            var c = connections[i];
            if (filter.Matches(c)) Measure(c, widths, endpoint);
        }
    }

    private static void WriteRows(BufferedUtf8Output output, IReadOnlyList<Connection> connections, ConnectionFilter filter,
        int[] widths, int start, int end)
    {
        Span<byte> endpoint = stackalloc byte[MaxEndpointLength];
        for (int i = start; i < end; i++)
        {
            var c = connections[i];
            if (filter.Matches(c)) WriteRow(output, c, widths, endpoint);
        }
    }

    private static void Measure(in Connection c, Span<int> widths, Span<byte> scratch)
    {
        var s = c.Socket;
        Widen(widths, 1, StateName(s).Length);
        Widen(widths, 2, Digits(s.ReceiveQueue));
        Widen(widths, 3, Digits(s.SendQueue));
        Widen(widths, 4, FormatEndpoint(s.Local, false, scratch));
        Widen(widths, 5, FormatEndpoint(s.Remote, true, scratch));
        Widen(widths, 6, c.Interface.Length);
        Widen(widths, 8, c.Netns.Inode == 0 ? 1 : Digits(c.Netns.Inode));
        Widen(widths, 9, ContainerName(c)?.Length ?? 1);
        Widen(widths, 10, ConnectionsJsonWriter.Unit(c)?.Length ?? 1);
    }

    private static void Widen(Span<int> widths, int column, int width)
    {
        if (width > widths[column]) widths[column] = width;
    }

    private static void WriteRow(BufferedUtf8Output o, in Connection c, ReadOnlySpan<int> widths, Span<byte> scratch)
    {
        var s = c.Socket;
        Cell(o, s.Protocol == SocketProtocol.Tcp ? "tcp"u8 : "udp"u8, widths[0]);
        Cell(o, StateName(s), widths[1]);
        Number(o, s.ReceiveQueue, widths[2]);
        Number(o, s.SendQueue, widths[3]);
        Cell(o, scratch[..FormatEndpoint(s.Local, false, scratch)], widths[4]);
        Cell(o, scratch[..FormatEndpoint(s.Remote, true, scratch)], widths[5]);
        Cell(o, c.Interface, widths[6]);
        Cell(o, DirectionName(c.Direction), widths[7]);
        if (c.Netns.Inode == 0) Cell(o, "-"u8, widths[8]);
        else Number(o, c.Netns.Inode, widths[8]);
        Cell(o, ContainerName(c) ?? "-", widths[9]);
        Cell(o, ConnectionsJsonWriter.Unit(c) ?? "-", widths[10]);
        WriteProcesses(o, c);
        o.WriteByte((byte)'\n');
    }

    private static void Cell(BufferedUtf8Output o, ReadOnlySpan<byte> ascii, int width)
    {
        o.Write(ascii);
        o.WriteSpaces(width - ascii.Length + 1);
    }

    private static void Cell(BufferedUtf8Output o, string text, int width)
    {
        o.Write(text);
        o.WriteSpaces(width - text.Length + 1);
    }

    private static void Number(BufferedUtf8Output o, ulong value, int width)
    {
        o.Write(value);
        o.WriteSpaces(width - Digits(value) + 1);
    }

    private static ReadOnlySpan<byte> StateName(in SocketRecord s) => s.State switch
    {
        SocketState.Established => "ESTABLISHED"u8,
        SocketState.SynSent => "SYN_SENT"u8,
        SocketState.SynRecv => "SYN_RECV"u8,
        SocketState.FinWait1 => "FIN_WAIT1"u8,
        SocketState.FinWait2 => "FIN_WAIT2"u8,
        SocketState.TimeWait => "TIME_WAIT"u8,
        SocketState.Close => s.Protocol == SocketProtocol.Udp ? "UNCONN"u8 : "CLOSE"u8,
        SocketState.CloseWait => "CLOSE_WAIT"u8,
        SocketState.LastAck => "LAST_ACK"u8,
        SocketState.Listen => "LISTEN"u8,
        SocketState.Closing => "CLOSING"u8,
        SocketState.NewSynRecv => "NEW_SYN_RECV"u8,
        _ => "UNKNOWN"u8,
    };

    private static ReadOnlySpan<byte> DirectionName(Direction d) => d switch
    {
        Direction.Listen => "listen"u8,
        Direction.Incoming => "incoming"u8,
        Direction.Outgoing => "outgoing"u8,
        _ => "unknown"u8,
    };

    /// <summary>The socket's container as a person reads it: its name, else the short id of the socket's or the first owner's container.</summary>
    internal static string? ContainerName(in Connection c) =>
        c.Container?.DisplayName ?? (c.Owners.Count > 0 && c.Owners[0].Container is { } id ? (id.Length > 12 ? id[..12] : id) : null);

    /// <summary><c>a.b.c.d:port</c>, <c>[v6]:port</c>, <c>*:port</c> for a wildcard address, <c>*</c> for a peer's port 0.</summary>
    internal static int FormatEndpoint(InetEndpoint e, bool wildcardPort, Span<byte> destination)
    {
        var address = e.Address.Normalize();
        int at;
        if (address.IsUnspecified)
        {
            destination[0] = (byte)'*';
            at = 1;
        }
        else if (address.Family == IpFamily.IPv6)
        {
            destination[0] = (byte)'[';
            at = 1 + InetAddressText.Format(address, destination[1..]);
            destination[at++] = (byte)']';
        }
        else
        {
            at = InetAddressText.Format(address, destination);
        }
        destination[at++] = (byte)':';
        if (wildcardPort && e.Port == 0)
        {
            destination[at++] = (byte)'*';
        }
        else
        {
            Utf8Formatter.TryFormat(e.Port, destination[at..], out int written);
            at += written;
        }
        return at;
    }

    private static void WriteProcesses(BufferedUtf8Output o, in Connection c)
    {
        var owners = c.Owners;
        if (owners.Count == 0)
        {
            o.Write(c.Socket.Inode == 0 ? "unowned"u8 : "-"u8);
            return;
        }
        for (int i = 0; i < owners.Count; i++)
        {
            if (i > 0) o.WriteByte((byte)',');
            o.WriteByte((byte)'"');
            WritePrintable(o, owners[i].Name);
            o.Write("\"(pid="u8);
            o.Write((ulong)owners[i].Pid);
            o.WriteByte((byte)')');
        }
    }

    /// <summary>comm is 15 arbitrary bytes: quotes and backslashes escaped, control characters
    /// as <c>\xNN</c>, so a name can neither break the line nor fake another column.</summary>
    internal static void WritePrintable(BufferedUtf8Output o, string name)
    {
        Span<byte> rune = stackalloc byte[4];
        foreach (var r in name.EnumerateRunes())
        {
            if (r.Value is '"' or '\\')
            {
                o.WriteByte((byte)'\\');
                o.WriteByte((byte)r.Value);
            }
            else if (Rune.IsControl(r))
            {
                o.Write("\\x"u8);
                WriteHexByte(o, r.Value);
            }
            else if (r.IsAscii)
            {
                o.WriteByte((byte)r.Value);
            }
            else
            {
                o.Write(rune[..r.EncodeToUtf8(rune)]);
            }
        }
    }

    private static void WriteHexByte(BufferedUtf8Output o, int value)
    {
        // C0 and C1 controls: one byte's worth (C1 is U+0080-U+009F).
        const string Hex = "0123456789abcdef";
        o.WriteByte((byte)Hex[(value >> 4) & 0xF]);
        o.WriteByte((byte)Hex[value & 0xF]);
    }

    internal static int Digits(ulong value)
    {
        int n = 1;
        while (value >= 10)
        {
            value /= 10;
            n++;
        }
        return n;
    }
}
