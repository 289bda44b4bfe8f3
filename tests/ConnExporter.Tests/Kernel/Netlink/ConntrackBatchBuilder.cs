using System.Buffers.Binary;
using System.Net;

namespace ConnExporter.Tests.Kernel.Netlink;

/// <summary>
/// Builds ctnetlink dump replies byte by byte per include/uapi/linux/netfilter/nfnetlink.h and
/// nfnetlink_conntrack.h, independently of the parser under test: nfgenmsg, then CTA_TUPLE_ORIG
/// and CTA_TUPLE_REPLY (nested, NLA_F_NESTED set as the kernel sets it) and CTA_STATUS (be32).
/// </summary>
internal static class ConntrackBatchBuilder
{
    public const ushort CtNew = 1 << 8;
    public const uint DstNat = 1 << 5;
    private const ushort Nested = 0x8000;

    public static byte[] Attribute(ushort type, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[(4 + payload.Length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), type);
        payload.CopyTo(bytes.AsSpan(4));
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Be16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        return b;
    }

    private static byte[] Be32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    /// <summary>CTA_TUPLE_* {CTA_TUPLE_IP {V4/V6 SRC, DST}, CTA_TUPLE_PROTO {NUM, SRC_PORT, DST_PORT}}.</summary>
    public static byte[] Tuple(ushort type, byte protocol, string source, ushort sourcePort, string destination, ushort destinationPort)
    {
        var src = IPAddress.Parse(source).GetAddressBytes();
        var dst = IPAddress.Parse(destination).GetAddressBytes();
        bool v6 = src.Length == 16;
        var ip = Attribute(1 | Nested, Concat(Attribute(v6 ? (ushort)3 : (ushort)1, src), Attribute(v6 ? (ushort)4 : (ushort)2, dst)));
        var proto = Attribute(2 | Nested, Concat(Attribute(1, [protocol]), Attribute(2, Be16(sourcePort)), Attribute(3, Be16(destinationPort))));
        return Attribute((ushort)(type | Nested), Concat(ip, proto));
    }

    /// <summary>One entry's payload: nfgenmsg (family, version 0, res_id 0), the tuples, the status.</summary>
    public static byte[] Entry(byte protocol, string local, ushort localPort, string virtualAddress, ushort virtualPort,
        string real, ushort realPort, uint status = DstNat)
    {
        byte family = IPAddress.Parse(local).GetAddressBytes().Length == 16 ? (byte)10 : (byte)2;
        return Concat([family, 0, 0, 0],
            Tuple(1, protocol, local, localPort, virtualAddress, virtualPort),
            Tuple(2, protocol, real, realPort, local, localPort),
            Attribute(3, Be32(status)));
    }
}
