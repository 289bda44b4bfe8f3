using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// One socket of a sock_diag dump: <c>struct inet_diag_msg</c> (include/uapi/linux/inet_diag.h,
/// 72 bytes) plus what its attributes carried. Ports and addresses are big-endian on the wire,
/// every other field is in host order.
/// </summary>
/// <param name="Family">idiag_family: AF_INET or AF_INET6.</param>
/// <param name="State">idiag_state: the kernel state number (include/net/tcp_states.h).</param>
/// <param name="Timer">idiag_timer: which TCP timer is pending (0 none).</param>
/// <param name="Retransmits">idiag_retrans: retransmits of the pending timer.</param>
/// <param name="Local">idiag_src and idiag_sport; IPv4 uses the first 4 address bytes.</param>
/// <param name="Remote">idiag_dst and idiag_dport.</param>
/// <param name="InterfaceIndex">idiag_if: bound device / scope, 0 when none.</param>
/// <param name="Cookie">idiag_cookie[0] as the low, idiag_cookie[1] as the high half.</param>
/// <param name="Tcp">From the INET_DIAG_INFO attribute when present and long enough.</param>
internal readonly record struct InetDiagMessage(
    byte Family,
    byte State,
    byte Timer,
    byte Retransmits,
    InetEndpoint Local,
    InetEndpoint Remote,
    uint InterfaceIndex,
    ulong Cookie,
    uint Expires,
    uint ReceiveQueue,
    uint SendQueue,
    uint Uid,
    uint Inode,
    TcpHealth? Tcp)
{
    /// <summary>sizeof(struct inet_diag_msg).</summary>
    public const int Size = 72;

    /// <summary>sizeof(struct inet_diag_sockid).</summary>
    public const int SocketIdSize = 48;

    /// <summary>INET_DIAG_INFO: the attribute holding struct tcp_info.</summary>
    public const ushort AttributeInfo = 2;

    /// <summary>
    /// Parses the payload of a <c>SOCK_DIAG_BY_FAMILY</c> reply. False, with a constant
    /// description, when the fixed part is short, the family unknown or the attributes
    /// overrun the message; a tcp_info too short for the RTT just leaves <see cref="Tcp"/> null.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out InetDiagMessage message, out string? problem)
    {
        message = default;
        if (payload.Length < Size)
        {
            problem = "inet_diag_msg shorter than 72 bytes";
            return false;
        }

        byte family = payload[0];
        if (family is not (InetDiagRequest.AfInet or InetDiagRequest.AfInet6))
        {
            problem = "inet_diag_msg with a family other than AF_INET/AF_INET6";
            return false;
        }

        // struct inet_diag_sockid at offset 4: sport, dport, src[16], dst[16], if, cookie[2].
        var id = payload.Slice(4, SocketIdSize);
        ushort localPort = (ushort)((id[0] << 8) | id[1]);
        ushort remotePort = (ushort)((id[2] << 8) | id[3]);
        InetAddress local, remote;
        if (family == InetDiagRequest.AfInet)
        {
            local = InetAddress.FromIPv4(id.Slice(4, 4));
            remote = InetAddress.FromIPv4(id.Slice(20, 4));
        }
        else
        {
            local = InetAddress.FromIPv6(id.Slice(4, 16));
            remote = InetAddress.FromIPv6(id.Slice(20, 16));
        }
        uint interfaceIndex = HostOrder.ReadUInt32(id[36..]);
        // The kernel stores the 64-bit cookie as [0] = low 32 bits, [1] = high (sock_diag_save_cookie).
        ulong cookie = HostOrder.ReadUInt32(id[40..]) | ((ulong)HostOrder.ReadUInt32(id[44..]) << 32);

        TcpHealth? tcpInfo = null;
        var attributes = new NetlinkAttributeReader(payload[Size..]);
        while (attributes.MoveNext())
        {
            if (attributes.Type == AttributeInfo && TcpInfo.TryParse(attributes.Payload, out var health))
                tcpInfo = health;
        }
        if (attributes.IsMalformed)
        {
            problem = "inet_diag_msg attribute length overruns the message";
            return false;
        }

        message = new InetDiagMessage(
            family,
            State: payload[1],
            Timer: payload[2],
            Retransmits: payload[3],
            new InetEndpoint(local, localPort),
            new InetEndpoint(remote, remotePort),
            interfaceIndex,
            cookie,
            Expires: HostOrder.ReadUInt32(payload[52..]),
            ReceiveQueue: HostOrder.ReadUInt32(payload[56..]),
            SendQueue: HostOrder.ReadUInt32(payload[60..]),
            Uid: HostOrder.ReadUInt32(payload[64..]),
            Inode: HostOrder.ReadUInt32(payload[68..]),
            tcpInfo);
        problem = null;
        return true;
    }
}
