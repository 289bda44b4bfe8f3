using System.Buffers.Text;

namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// The socket counts of <c>/proc/net/sockstat</c> and <c>/proc/net/sockstat6</c>
/// (net/ipv4/proc.c, net/ipv6/proc.c) of the reader's network namespace: a cheap estimate of how
/// many records a dump will return, to size buffers once instead of growing them.
/// </summary>
/// <param name="Tcp">TCP sockets in use, IPv4 (<c>TCP: inuse</c>) plus IPv6 (<c>TCP6: inuse</c>).</param>
/// <param name="TcpTimeWait">TIME_WAIT sockets (<c>TCP: tw</c>, both families).</param>
/// <param name="Udp">UDP sockets in use (<c>UDP: inuse</c> plus <c>UDP6: inuse</c>).</param>
internal readonly record struct ProcNetSockStat(int Tcp, int TcpTimeWait, int Udp)
{
    /// <summary>Both files are a few hundred bytes.</summary>
    private const int MaxFileSize = 1024;

    /// <summary>
    /// Reads both files under <paramref name="procNet"/> (e.g. <c>/proc/net</c>). Missing files
    /// (no IPv6, a procfs without them) count as zero: this is a hint, never an error.
    /// </summary>
    public static ProcNetSockStat Read(string procNet)
    {
        Span<byte> buffer = stackalloc byte[MaxFileSize];
        var v4 = ReadFile(Path.Join(procNet, "sockstat"), buffer);
        var v6 = ReadFile(Path.Join(procNet, "sockstat6"), buffer);
        return new ProcNetSockStat(v4.Tcp + v6.Tcp, v4.TcpTimeWait + v6.TcpTimeWait, v4.Udp + v6.Udp);
    }

    /// <summary>
    /// Which of <paramref name="wanted"/> can hold a socket in the namespace <paramref name="procNet"/>
    /// shows: a table whose <c>inuse</c> count is 0 (and, for TCP, with no TIME_WAIT socket) is
    /// empty, and reading it anyway costs a walk of the whole host-wide hash table (2–7 ms on
    /// this VM) for nothing. The counters are per namespace (sock_prot_inuse_get). When the files
    /// cannot be read every wanted kind is kept.
    /// </summary>
    public static Inventory.SocketKinds PresentKinds(string procNet, Inventory.SocketKinds wanted)
    {
        Span<byte> buffer = stackalloc byte[MaxFileSize];
        if (!TryReadInUse(Path.Join(procNet, "sockstat"), buffer, out int tcp4, out int tw, out int udp4)) return wanted;
        if (!TryReadInUse(Path.Join(procNet, "sockstat6"), buffer, out int tcp6, out _, out int udp6))
        {
            tcp6 = 0;
            udp6 = 0; // no IPv6 in this namespace
        }
        var present = Inventory.SocketKinds.None;
        if (tcp4 > 0 || tw > 0) present |= Inventory.SocketKinds.Tcp4;
        if (tcp6 > 0 || tw > 0) present |= Inventory.SocketKinds.Tcp6;
        if (udp4 > 0) present |= Inventory.SocketKinds.Udp4;
        if (udp6 > 0) present |= Inventory.SocketKinds.Udp6;
        return present & wanted;
    }

    private static bool TryReadInUse(string path, Span<byte> buffer, out int tcp, out int tw, out int udp)
    {
        Span<byte> name = stackalloc byte[ProcFile.NulTerminatedLength(path)];
        if (!ProcFile.TryRead(Interop.AtFdCwd, ProcFile.NulTerminated(path, name), buffer, out int length, out _))
        {
            tcp = tw = udp = 0;
            return false;
        }
        var counts = Parse(buffer[..length]);
        (tcp, tw, udp) = (counts.Tcp, counts.TcpTimeWait, counts.Udp);
        return true;
    }

    private static ProcNetSockStat ReadFile(string path, Span<byte> buffer)
    {
        Span<byte> name = stackalloc byte[ProcFile.NulTerminatedLength(path)];
        return ProcFile.TryRead(Interop.AtFdCwd, ProcFile.NulTerminated(path, name), buffer, out int length, out _)
            ? Parse(buffer[..length])
            : default;
    }

    /// <summary>
    /// Parses either file: lines <c>PROTO: key value key value …</c>. Lines and keys it does not
    /// know are skipped, unparseable numbers count as zero.
    /// </summary>
    public static ProcNetSockStat Parse(ReadOnlySpan<byte> content)
    {
        int tcp = 0, tw = 0, udp = 0;
        foreach (var range in content.Split((byte)'\n'))
        {
            var line = content[range];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            var protocol = line[..colon];
            var fields = line[(colon + 1)..];
            if (protocol.SequenceEqual("TCP"u8) || protocol.SequenceEqual("TCP6"u8))
            {
                tcp += Field(fields, "inuse"u8);
                tw += Field(fields, "tw"u8);
            }
            else if (protocol.SequenceEqual("UDP"u8) || protocol.SequenceEqual("UDP6"u8))
            {
                udp += Field(fields, "inuse"u8);
            }
        }
        return new ProcNetSockStat(tcp, tw, udp);
    }

    /// <summary>The number after <paramref name="key"/> in " key value key value".</summary>
    private static int Field(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> key)
    {
        bool valueNext = false;
        foreach (var range in fields.Split((byte)' '))
        {
            var token = fields[range];
            if (token.IsEmpty) continue;
            if (valueNext)
                return Utf8Parser.TryParse(token, out int value, out int used) && used == token.Length && value > 0 ? value : 0;
            valueNext = token.SequenceEqual(key);
        }
        return 0;
    }
}
