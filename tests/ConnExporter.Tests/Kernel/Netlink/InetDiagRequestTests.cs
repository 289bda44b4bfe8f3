using System.Buffers.Binary;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Tests.Kernel.Netlink;

public class InetDiagRequestTests
{
    [Fact]
    public void Sizes_match_the_kernel_structs()
    {
        Assert.Equal(16, NetlinkMessageHeader.Size);      // struct nlmsghdr
        Assert.Equal(56, InetDiagRequest.Size);           // struct inet_diag_req_v2
        Assert.Equal(48, InetDiagMessage.SocketIdSize);   // struct inet_diag_sockid
        Assert.Equal(72, InetDiagMessage.Size);           // struct inet_diag_msg
        Assert.Equal(72, InetDiagRequest.MessageSize);
    }

    [Fact]
    public void Writes_a_tcp6_dump_request_byte_for_byte()
    {
        var request = new InetDiagRequest(InetDiagRequest.AfInet6, InetDiagRequest.IpProtoTcp,
            InetDiagRequest.InfoExtension, InetDiagRequest.AllStates);
        var buffer = new byte[100];
        buffer.AsSpan().Fill(0xAA);

        int written = request.Write(buffer, sequence: 0x01020304);

        Assert.Equal(72, written);
        var m = buffer.AsSpan(0, written);
        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(m));          // nlmsg_len
        Assert.Equal((ushort)20, BinaryPrimitives.ReadUInt16LittleEndian(m[4..])); // SOCK_DIAG_BY_FAMILY
        Assert.Equal((ushort)0x301, BinaryPrimitives.ReadUInt16LittleEndian(m[6..])); // NLM_F_REQUEST|NLM_F_DUMP
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(m[8..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(m[12..]));     // nlmsg_pid
        Assert.Equal(10, m[16]);   // sdiag_family AF_INET6
        Assert.Equal(6, m[17]);    // sdiag_protocol IPPROTO_TCP
        Assert.Equal(2, m[18]);    // idiag_ext: 1 << (INET_DIAG_INFO - 1)
        Assert.Equal(0, m[19]);    // pad
        Assert.Equal(0x1FFEu, BinaryPrimitives.ReadUInt32LittleEndian(m[20..])); // states 1-12, not bound-inactive (13)
        Assert.True(m[24..].IndexOfAnyExcept((byte)0) < 0, "inet_diag_sockid must be zeroed");
        Assert.Equal(0xAA, buffer[72]); // nothing written past the message
    }

    [Fact]
    public void Writes_a_udp4_request_without_extensions()
    {
        var buffer = new byte[72];
        new InetDiagRequest(InetDiagRequest.AfInet, InetDiagRequest.IpProtoUdp, 0, InetDiagRequest.AllStates).Write(buffer, 9);
        Assert.Equal(2, buffer[16]);
        Assert.Equal(17, buffer[17]);
        Assert.Equal(0, buffer[18]);
    }

    [Fact]
    public void Writes_a_legacy_tcp_dump_request_byte_for_byte()
    {
        Assert.Equal(60, InetDiagLegacyRequest.Size);     // struct inet_diag_req
        var buffer = new byte[100];
        buffer.AsSpan().Fill(0xAA);

        int written = new InetDiagLegacyRequest(InetDiagRequest.InfoExtension, 0x0000_0FFF).Write(buffer, sequence: 7);

        Assert.Equal(76, written);
        var m = buffer.AsSpan(0, written);
        Assert.Equal(76u, BinaryPrimitives.ReadUInt32LittleEndian(m));           // nlmsg_len
        Assert.Equal((ushort)18, BinaryPrimitives.ReadUInt16LittleEndian(m[4..])); // TCPDIAG_GETSOCK
        Assert.Equal((ushort)0x301, BinaryPrimitives.ReadUInt16LittleEndian(m[6..]));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(m[8..]));
        Assert.Equal(0, m[16]);    // idiag_family: the compat dump uses AF_UNSPEC whatever is here
        Assert.Equal(0, m[17]);    // idiag_src_len
        Assert.Equal(0, m[18]);    // idiag_dst_len
        Assert.Equal(2, m[19]);    // idiag_ext
        Assert.True(m[20..68].IndexOfAnyExcept((byte)0) < 0, "inet_diag_sockid must be zeroed");
        Assert.Equal(0x0FFFu, BinaryPrimitives.ReadUInt32LittleEndian(m[68..])); // idiag_states
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(m[72..]));      // idiag_dbs
        Assert.Equal(0xAA, buffer[76]);
    }
}
