namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// An <c>IPCTNL_MSG_CT_GET</c> dump request on NETLINK_NETFILTER: <c>struct nlmsghdr</c>, then
/// <c>struct nfgenmsg</c> (include/uapi/linux/netfilter/nfnetlink.h: u8 family, u8 version,
/// be16 res_id), then two attributes that ask the kernel to return only destination-NATed
/// entries: <c>CTA_STATUS</c> = IPS_DST_NAT and <c>CTA_STATUS_MASK</c> = IPS_DST_NAT
/// (kernel-side status filter, Linux 5.19+; older kernels ignore it and the parser checks the
/// bit itself, so the answer is the same, only dearer).
/// </summary>
internal static class ConntrackRequest
{
    /// <summary>NFNL_SUBSYS_CTNETLINK (1) &lt;&lt; 8 | IPCTNL_MSG_CT_NEW (0): what dump replies carry.</summary>
    public const ushort ReplyType = 1 << 8;

    /// <summary>NFNL_SUBSYS_CTNETLINK &lt;&lt; 8 | IPCTNL_MSG_CT_GET (1).</summary>
    public const ushort CtGet = (1 << 8) | 1;

    /// <summary>sizeof(struct nfgenmsg).</summary>
    public const int NfgenmsgSize = 4;

    // include/uapi/linux/netfilter/nfnetlink_conntrack.h, enum ctattr_type.
    public const ushort AttributeTupleOrig = 1;
    public const ushort AttributeTupleReply = 2;
    public const ushort AttributeStatus = 3;
    public const ushort AttributeStatusMask = 26;

    // enum ctattr_tuple, ctattr_ip, ctattr_l4proto.
    public const ushort TupleIp = 1;
    public const ushort TupleProto = 2;
    public const ushort IpV4Src = 1;
    public const ushort IpV4Dst = 2;
    public const ushort IpV6Src = 3;
    public const ushort IpV6Dst = 4;
    public const ushort ProtoNum = 1;
    public const ushort ProtoSrcPort = 2;
    public const ushort ProtoDstPort = 3;

    /// <summary>IPS_DST_NAT (include/uapi/linux/netfilter/nf_conntrack_common.h, bit 5).</summary>
    public const uint StatusDstNat = 1 << 5;

    private const int StatusAttributeSize = 8;

    /// <summary>The whole request on the wire.</summary>
    public const int MessageSize = NetlinkMessageHeader.Size + NfgenmsgSize + 2 * StatusAttributeSize;

    /// <summary>Writes the request (<see cref="MessageSize"/> bytes) for every family (AF_UNSPEC);
    /// returns the length written.</summary>
    public static int Write(Span<byte> destination, uint sequence)
    {
        var payload = NetlinkMessageHeader.WriteDumpRequest(destination, MessageSize, CtGet, sequence);
        // nfgenmsg: family 0 (AF_UNSPEC: both IPv4 and IPv6 in one walk), version 0 (NFNETLINK_V0), res_id 0.
        WriteStatusAttribute(payload[NfgenmsgSize..], AttributeStatus);
        WriteStatusAttribute(payload[(NfgenmsgSize + StatusAttributeSize)..], AttributeStatusMask);
        return MessageSize;
    }

    private static void WriteStatusAttribute(Span<byte> destination, ushort type)
    {
        HostOrder.WriteUInt16(destination, StatusAttributeSize);
        HostOrder.WriteUInt16(destination[2..], type);
        // ctnetlink's status attributes are big-endian (NLA_U32 read with ntohl).
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StatusDstNat);
    }
}
