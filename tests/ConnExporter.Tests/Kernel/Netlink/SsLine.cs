using System.Globalization;
using ConnExporter.Inventory;

namespace ConnExporter.Tests.Kernel.Netlink;

/// <summary>One line of <c>ss -H -tuane</c>, the ground truth the netlink source is compared with.</summary>
internal sealed record SsLine(SocketProtocol Protocol, IpFamily Family, SocketState State,
    InetEndpoint Local, InetEndpoint Remote, ulong Inode, ulong Cookie)
{
    public static List<SsLine> ParseAll(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();

    // Netid State Recv-Q Send-Q Local:Port Peer:Port [extended: timer:(...) ino:N sk:hex ...]
    public static SsLine Parse(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var protocol = f[0] switch
        {
            "tcp" => SocketProtocol.Tcp,
            "udp" => SocketProtocol.Udp,
            _ => throw new FormatException($"unexpected netid in '{line}'"),
        };
        var local = Endpoint(f[4], null);
        var remote = Endpoint(f[5], local.Address.Family);
        ulong inode = ulong.Parse(Field(f, "ino:"), CultureInfo.InvariantCulture);
        ulong cookie = ulong.Parse(Field(f, "sk:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new SsLine(protocol, local.Address.Family, ParseState(f[1]), local, remote, inode, cookie);
    }

    private static string Field(string[] fields, string prefix) =>
        fields.Single(x => x.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];

    private static SocketState ParseState(string ss) => ss switch
    {
        "ESTAB" => SocketState.Established,
        "LISTEN" => SocketState.Listen,
        "UNCONN" => SocketState.Close,
        "TIME-WAIT" => SocketState.TimeWait,
        "SYN-SENT" => SocketState.SynSent,
        "SYN-RECV" => SocketState.SynRecv,
        "FIN-WAIT-1" => SocketState.FinWait1,
        "FIN-WAIT-2" => SocketState.FinWait2,
        "CLOSE-WAIT" => SocketState.CloseWait,
        "LAST-ACK" => SocketState.LastAck,
        "CLOSING" => SocketState.Closing,
        _ => throw new FormatException($"unexpected ss state '{ss}'"),
    };

    /// <summary>"127.0.0.1:80", "[::1]:80", "127.0.0.53%lo:53", "0.0.0.0:*", "*:*".</summary>
    private static InetEndpoint Endpoint(string text, IpFamily? wildcardFamily)
    {
        int colon = text.LastIndexOf(':');
        string host = text[..colon].Trim('[', ']');
        string port = text[(colon + 1)..];
        int scope = host.IndexOf('%', StringComparison.Ordinal);
        if (scope >= 0) host = host[..scope];
        var address = host == "*"
            ? (wildcardFamily == IpFamily.IPv4 ? InetAddress.AnyIPv4 : InetAddress.AnyIPv6)
            : InetAddress.Parse(host);
        return new InetEndpoint(address, port == "*" ? (ushort)0 : ushort.Parse(port, CultureInfo.InvariantCulture));
    }
}
