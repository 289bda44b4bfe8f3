using System.Buffers.Binary;
using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// The reply to one conntrack dump (<see cref="ConntrackRequest"/>), fed batch by batch: every
/// TCP or UDP entry whose destination was NATed becomes one pair in the caller's table, its
/// original tuple (what the local socket sees: local endpoint to the virtual address) to the
/// reply tuple's source (the real destination that answers). Entries without IPS_DST_NAT are
/// skipped (an old kernel ignores the request's status filter); what cannot be parsed is counted,
/// never thrown. Pure: no I/O, so it is tested on built bytes.
/// </summary>
internal sealed class ConntrackDump
{
    private readonly uint _sequence;
    private DumpProgress _progress;

    public ConntrackDump(uint sequence) => _sequence = sequence;

    /// <summary>NLMSG_DONE or NLMSG_ERROR arrived: no more batches belong to this dump.</summary>
    public bool IsDone => _progress.IsDone;

    /// <summary>The negative errno the kernel ended the dump with (-EPERM without CAP_NET_ADMIN); 0 when it succeeded.</summary>
    public int Error => _progress.Error;

    /// <summary>Entries the dump returned (translated or not, any protocol).</summary>
    public int Entries { get; private set; }

    /// <summary>Messages, or whole batches, that could not be parsed.</summary>
    public int Malformed => _progress.Malformed;

    public string? FirstProblem => _progress.FirstProblem;

    /// <summary>A batch was malformed or truncated, so the end-of-dump message may be lost too.</summary>
    public bool LostMessages => _progress.LostMessages;

    /// <summary>Adds the translated entries of one received batch to <paramref name="translated"/>.</summary>
    /// <param name="truncated">The datagram was longer than <paramref name="batch"/>.</param>
    public void Add(ReadOnlySpan<byte> batch, bool truncated, Dictionary<ConntrackTuple, InetEndpoint> translated)
    {
        var reader = new NetlinkMessageReader(batch);
        while (reader.MoveNext())
        {
            if (reader.Header.Type != ConntrackRequest.ReplyType || reader.Header.Sequence != _sequence)
                continue;
            Entries++;
            string? problem = Parse(reader.Payload, translated);
            if (problem is not null) Count(problem);
        }

        _progress.EndBatch(reader, truncated);
    }

    /// <summary>One entry: nfgenmsg, then attributes. Returns why it is malformed, or null.</summary>
    private static string? Parse(ReadOnlySpan<byte> payload, Dictionary<ConntrackTuple, InetEndpoint> translated)
    {
        if (payload.Length < ConntrackRequest.NfgenmsgSize) return "conntrack message shorter than struct nfgenmsg";
        ReadOnlySpan<byte> original = default, reply = default;
        uint? status = null;
        var attributes = new NetlinkAttributeReader(payload[ConntrackRequest.NfgenmsgSize..]);
        while (attributes.MoveNext())
        {
            switch (attributes.Type)
            {
                case ConntrackRequest.AttributeTupleOrig:
                    original = attributes.Payload;
                    break;
                case ConntrackRequest.AttributeTupleReply:
                    reply = attributes.Payload;
                    break;
                case ConntrackRequest.AttributeStatus:
                    if (attributes.Payload.Length < 4) return "CTA_STATUS shorter than 4 bytes";
                    status = BinaryPrimitives.ReadUInt32BigEndian(attributes.Payload);
                    break;
            }
        }
        if (attributes.IsMalformed) return "conntrack attribute length out of bounds";
        // The kernel always sends both tuples and the status (ctnetlink_fill_info).
        if (status is not { } s || original.IsEmpty || reply.IsEmpty) return "conntrack entry without its tuples or status";
        if ((s & ConntrackRequest.StatusDstNat) == 0) return null;

        if (ReadTuple(original, out var orig) is { } problem) return problem;
        if (ReadTuple(reply, out var back) is { } replyProblem) return replyProblem;
        if (orig.Protocol is not (ConntrackTuple.IpProtoTcp or ConntrackTuple.IpProtoUdp)) return null;
        // The reply's source is who answers: the destination the rule chose.
        translated[orig] = back.Source;
        return null;
    }

    /// <summary>CTA_TUPLE_{ORIG,REPLY}: nested CTA_TUPLE_IP and CTA_TUPLE_PROTO.</summary>
    private static string? ReadTuple(ReadOnlySpan<byte> tuple, out ConntrackTuple result)
    {
        result = default;
        InetAddress? source = null, destination = null;
        byte? protocol = null;
        ushort sourcePort = 0, destinationPort = 0;
        var parts = new NetlinkAttributeReader(tuple);
        while (parts.MoveNext())
        {
            if (parts.Type == ConntrackRequest.TupleIp)
            {
                var ip = new NetlinkAttributeReader(parts.Payload);
                while (ip.MoveNext())
                {
                    switch (ip.Type)
                    {
                        case ConntrackRequest.IpV4Src or ConntrackRequest.IpV4Dst:
                            if (ip.Payload.Length != 4) return "conntrack IPv4 address not 4 bytes";
                            if (ip.Type == ConntrackRequest.IpV4Src) source = InetAddress.FromIPv4(ip.Payload);
                            else destination = InetAddress.FromIPv4(ip.Payload);
                            break;
                        case ConntrackRequest.IpV6Src or ConntrackRequest.IpV6Dst:
                            if (ip.Payload.Length != 16) return "conntrack IPv6 address not 16 bytes";
                            if (ip.Type == ConntrackRequest.IpV6Src) source = InetAddress.FromIPv6(ip.Payload).Normalize();
                            else destination = InetAddress.FromIPv6(ip.Payload).Normalize();
                            break;
                    }
                }
                if (ip.IsMalformed) return "conntrack CTA_TUPLE_IP attribute length out of bounds";
            }
            else if (parts.Type == ConntrackRequest.TupleProto)
            {
                var proto = new NetlinkAttributeReader(parts.Payload);
                while (proto.MoveNext())
                {
                    switch (proto.Type)
                    {
                        case ConntrackRequest.ProtoNum:
                            if (proto.Payload.Length < 1) return "conntrack CTA_PROTO_NUM empty";
                            protocol = proto.Payload[0];
                            break;
                        case ConntrackRequest.ProtoSrcPort:
                            if (proto.Payload.Length < 2) return "conntrack port shorter than 2 bytes";
                            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(proto.Payload);
                            break;
                        case ConntrackRequest.ProtoDstPort:
                            if (proto.Payload.Length < 2) return "conntrack port shorter than 2 bytes";
                            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(proto.Payload);
                            break;
                    }
                }
                if (proto.IsMalformed) return "conntrack CTA_TUPLE_PROTO attribute length out of bounds";
            }
        }
        if (parts.IsMalformed) return "conntrack tuple attribute length out of bounds";
        if (source is not { } src || destination is not { } dst || protocol is not { } p)
            return "conntrack tuple without its addresses or protocol";
        result = new ConntrackTuple(p, new InetEndpoint(src, sourcePort), new InetEndpoint(dst, destinationPort));
        return null;
    }

    private void Count(string? problem) => _progress.Count(problem);
}
