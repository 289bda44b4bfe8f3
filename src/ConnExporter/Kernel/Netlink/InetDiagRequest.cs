namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// A <c>SOCK_DIAG_BY_FAMILY</c> dump request: <c>struct nlmsghdr</c> followed by
/// <c>struct inet_diag_req_v2</c> (include/uapi/linux/inet_diag.h) with the socket id zeroed,
/// which asks for every socket of one family and protocol in the given states.
/// </summary>
/// <param name="Family">AF_INET or AF_INET6 (<see cref="AfInet"/>, <see cref="AfInet6"/>).</param>
/// <param name="Protocol">IPPROTO_TCP or IPPROTO_UDP.</param>
/// <param name="Extensions">idiag_ext: bit (n - 1) asks for attribute n, e.g. <see cref="InfoExtension"/>.</param>
/// <param name="States">idiag_states: bit n selects kernel state n.</param>
internal readonly record struct InetDiagRequest(byte Family, byte Protocol, byte Extensions, uint States)
{
    /// <summary>sizeof(struct inet_diag_req_v2).</summary>
    public const int Size = 56;

    /// <summary>The whole request on the wire.</summary>
    public const int MessageSize = NetlinkMessageHeader.Size + Size;

    /// <summary>SOCK_DIAG_BY_FAMILY (include/uapi/linux/sock_diag.h): the request and reply type.</summary>
    public const ushort SockDiagByFamily = 20;

    // include/linux/socket.h, include/uapi/linux/in.h
    public const byte AfInet = 2;
    public const byte AfInet6 = 10;
    public const byte IpProtoTcp = 6;
    public const byte IpProtoUdp = 17;

    /// <summary>
    /// Every socket state, TIME_WAIT and NEW_SYN_RECV included (bits 1 to 12): what <c>ss -a</c>
    /// asks for and what /proc/net/{tcp,udp} list. Not bit 13, TCP_BOUND_INACTIVE (Linux 6.7+),
    /// which would add TCP sockets that are only bound, reported as CLOSE, at the cost of a walk
    /// of the whole bind hash on every dump (about an eighth of the dump's time).
    /// </summary>
    public const uint AllStates = 0x1FFE;

    /// <summary>TCP listeners alone (1 &lt;&lt; TCP_LISTEN): the kernel then walks only its listening
    /// hash, not the established one of every namespace (≈ 45 µs instead of milliseconds).</summary>
    public const uint ListenStates = 1u << 10;

    /// <summary>UDP sockets that are bound and not connected (state TCP_CLOSE, shown as UNCONN).</summary>
    public const uint UnconnectedStates = 1u << 7;

    /// <summary>idiag_ext bit asking for INET_DIAG_INFO (struct tcp_info for TCP).</summary>
    public const byte InfoExtension = 1 << (InetDiagMessage.AttributeInfo - 1);

    /// <summary>Writes the request message (<see cref="MessageSize"/> bytes) with
    /// NLM_F_REQUEST | NLM_F_DUMP; returns the length written.</summary>
    public int Write(Span<byte> destination, uint sequence)
    {
        // inet_diag_req_v2: family, protocol, ext, pad, states; the 48-byte id stays zero.
        var request = NetlinkMessageHeader.WriteDumpRequest(destination, MessageSize, SockDiagByFamily, sequence);
        request[0] = Family;
        request[1] = Protocol;
        request[2] = Extensions;
        HostOrder.WriteUInt32(request[4..], States);
        return MessageSize;
    }
}
