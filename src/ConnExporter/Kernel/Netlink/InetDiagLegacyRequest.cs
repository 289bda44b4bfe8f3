namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// A legacy <c>TCPDIAG_GETSOCK</c> dump request: <c>struct nlmsghdr</c> followed by
/// <c>struct inet_diag_req</c> (include/uapi/linux/inet_diag.h) with the socket id zeroed.
/// The kernel answers it in <c>inet_diag_dump_compat</c> (net/ipv4/inet_diag.c) with
/// <c>sdiag_family = AF_UNSPEC</c>: IPv4 and IPv6 TCP sockets in one walk of the socket hash
/// tables, where two <see cref="InetDiagRequest"/> dumps walk them twice (the established hash is
/// global: each walk also passes every other namespace's sockets). Replies are <c>inet_diag_msg</c> as for v2, with nlmsg_type <see cref="TcpDiagGetSock"/>.
/// </summary>
/// <param name="Extensions">idiag_ext: bit (n - 1) asks for attribute n, e.g. <see cref="InetDiagRequest.InfoExtension"/>.</param>
/// <param name="States">idiag_states: bit n selects kernel state n.</param>
internal readonly record struct InetDiagLegacyRequest(byte Extensions, uint States)
{
    /// <summary>sizeof(struct inet_diag_req): family, src_len, dst_len, ext, the 48-byte id, states, dbs.</summary>
    public const int Size = 60;

    /// <summary>The whole request on the wire.</summary>
    public const int MessageSize = NetlinkMessageHeader.Size + Size;

    /// <summary>TCPDIAG_GETSOCK (include/uapi/linux/inet_diag.h): the request and reply type.</summary>
    public const ushort TcpDiagGetSock = 18;

    /// <summary>Writes the request message (<see cref="MessageSize"/> bytes) with
    /// NLM_F_REQUEST | NLM_F_DUMP; returns the length written.</summary>
    public int Write(Span<byte> destination, uint sequence)
    {
        // inet_diag_req: idiag_family is ignored by the compat dump (it always uses AF_UNSPEC),
        // src/dst_len and the id stay zero (no filter), idiag_dbs is unused.
        var request = NetlinkMessageHeader.WriteDumpRequest(destination, MessageSize, TcpDiagGetSock, sequence);
        request[3] = Extensions;
        HostOrder.WriteUInt32(request[(4 + InetDiagMessage.SocketIdSize)..], States);
        return MessageSize;
    }
}
