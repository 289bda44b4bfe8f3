using System.Buffers.Binary;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Tests.Kernel.Netlink;

public class InetDiagMessageTests
{
    private static readonly InetDiagFields Tcp4Established = new(
        Family: 2, State: 1, Source: "10.1.2.3", SourcePort: 443, Destination: "192.168.7.9", DestinationPort: 51234,
        Timer: 1, Retrans: 2, Interface: 3, Cookie: 0x0000_0001_8000_0002, Expires: 200,
        ReceiveQueue: 5, SendQueue: 1448, Uid: 1000, Inode: 987654);

    [Fact]
    public void Parses_a_tcp4_message_with_tcp_info()
    {
        var info = SockDiagBatchBuilder.TcpInfo(232, sndMss: 1448, unacked: 3, rtt: 1234, rttVar: 567,
            totalRetrans: 11, bytesAcked: 0x1_0000_0001, bytesReceived: 4096);
        // INET_DIAG_MEMINFO (1) first: attributes other than INET_DIAG_INFO are skipped.
        var payload = SockDiagBatchBuilder.InetDiagPayload(Tcp4Established, (1, new byte[16]), (2, info));

        Assert.True(InetDiagMessage.TryParse(payload, out var m, out var problem));

        Assert.Null(problem);
        Assert.Equal(2, m.Family);
        Assert.Equal(1, m.State);
        Assert.Equal(1, m.Timer);
        Assert.Equal(2, m.Retransmits);
        Assert.Equal(new InetEndpoint(InetAddress.Parse("10.1.2.3"), 443), m.Local);
        Assert.Equal(new InetEndpoint(InetAddress.Parse("192.168.7.9"), 51234), m.Remote);
        Assert.Equal(IpFamily.IPv4, m.Local.Address.Family);
        Assert.Equal(3u, m.InterfaceIndex);
        Assert.Equal(0x0000_0001_8000_0002ul, m.Cookie);
        Assert.Equal(200u, m.Expires);
        Assert.Equal(5u, m.ReceiveQueue);
        Assert.Equal(1448u, m.SendQueue);
        Assert.Equal(1000u, m.Uid);
        Assert.Equal(987654u, m.Inode);
        Assert.Equal(new TcpHealth(RttMicros: 1234, RttVarMicros: 567, Retransmits: 11, Unacked: 3,
            SendMss: 1448, BytesAcked: 0x1_0000_0001, BytesReceived: 4096), m.Tcp);
    }

    [Fact]
    public void Parses_a_tcp6_listener()
    {
        var fields = new InetDiagFields(Family: 10, State: 10, Source: "fd00:faa5:0:100::1", SourcePort: 8080,
            Destination: "::", DestinationPort: 0, Interface: 0, Cookie: 0xFFFF_FFFF_0000_0000, Uid: 0, Inode: 42);
        var payload = SockDiagBatchBuilder.InetDiagPayload(fields);

        Assert.True(InetDiagMessage.TryParse(payload, out var m, out _));

        Assert.Equal(10, m.Family);
        Assert.Equal((byte)SocketState.Listen, m.State);
        Assert.Equal(new InetEndpoint(InetAddress.Parse("fd00:faa5:0:100::1"), 8080), m.Local);
        Assert.Equal(new InetEndpoint(InetAddress.AnyIPv6, 0), m.Remote);
        Assert.Equal(0xFFFF_FFFF_0000_0000ul, m.Cookie);
        Assert.Equal(42u, m.Inode);
        Assert.Null(m.Tcp);
    }

    [Fact]
    public void Parses_a_connected_udp6_socket_with_a_mapped_peer()
    {
        var fields = new InetDiagFields(Family: 10, State: 1, Source: "::ffff:127.0.0.1", SourcePort: 53,
            Destination: "::ffff:127.0.0.53", DestinationPort: 5353, ReceiveQueue: 768, Uid: 65534, Inode: 7);
        Assert.True(InetDiagMessage.TryParse(SockDiagBatchBuilder.InetDiagPayload(fields), out var m, out _));
        Assert.Equal(IpFamily.IPv6, m.Local.Address.Family);
        Assert.True(m.Remote.Address.IsIPv4Mapped);
        Assert.Equal(InetAddress.Parse("127.0.0.53"), m.Remote.Address.Normalize());
        Assert.Equal((ushort)5353, m.Remote.Port);
        Assert.Equal(768u, m.ReceiveQueue);
        Assert.Equal(65534u, m.Uid);
    }

    [Theory]
    [InlineData(104, 11u, 0ul, 0ul)]      // Linux 2.6 – 3.14: ends after tcpi_total_retrans
    [InlineData(124, 11u, 0ul, 0ul)]      // half of tcpi_bytes_acked: not read
    [InlineData(128, 11u, 777ul, 0ul)]
    [InlineData(136, 11u, 777ul, 888ul)]
    [InlineData(76, 0u, 0ul, 0ul)]        // just the RTT
    public void Reads_only_the_fields_a_shorter_tcp_info_carries(int length, uint retrans, ulong acked, ulong received)
    {
        var info = SockDiagBatchBuilder.TcpInfo(length, 1448, 3, 1234, 567, 11, 777, 888);
        var payload = SockDiagBatchBuilder.InetDiagPayload(Tcp4Established, (2, info));

        Assert.True(InetDiagMessage.TryParse(payload, out var m, out _));

        var tcp = Assert.NotNull(m.Tcp);
        Assert.Equal(1234u, tcp.RttMicros);
        Assert.Equal(567u, tcp.RttVarMicros);
        Assert.Equal(1448u, tcp.SendMss);
        Assert.Equal(3u, tcp.Unacked);
        Assert.Equal(retrans, tcp.Retransmits);
        Assert.Equal(acked, tcp.BytesAcked);
        Assert.Equal(received, tcp.BytesReceived);
    }

    [Fact]
    public void A_tcp_info_too_short_for_the_rtt_is_absent_not_an_error()
    {
        var info = SockDiagBatchBuilder.TcpInfo(60, 1448, 3, 1234, 567, 11, 777, 888);
        Assert.True(InetDiagMessage.TryParse(SockDiagBatchBuilder.InetDiagPayload(Tcp4Established, (2, info)), out var m, out _));
        Assert.Null(m.Tcp);
        Assert.Equal(987654u, m.Inode);
    }

    [Fact]
    public void Too_short_for_inet_diag_msg_is_malformed()
    {
        var payload = SockDiagBatchBuilder.InetDiagPayload(Tcp4Established);
        Assert.False(InetDiagMessage.TryParse(payload.AsSpan(0, 71), out _, out var problem));
        Assert.Contains("72", problem);
    }

    [Fact]
    public void Unknown_family_is_malformed()
    {
        var payload = SockDiagBatchBuilder.InetDiagPayload(Tcp4Established);
        payload[0] = 1; // AF_UNIX
        Assert.False(InetDiagMessage.TryParse(payload, out _, out var problem));
        Assert.Contains("family", problem);
    }

    [Theory]
    [InlineData(2)]     // shorter than the rtattr header
    [InlineData(200)]   // longer than the message
    public void Attribute_length_that_does_not_fit_is_malformed(ushort length)
    {
        var info = SockDiagBatchBuilder.TcpInfo(144, 1448, 3, 1234, 567, 11, 777, 888);
        var payload = SockDiagBatchBuilder.InetDiagPayload(Tcp4Established, (2, info));
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(72), length == 200 ? (ushort)(4 + 144 + 1) : length);
        Assert.False(InetDiagMessage.TryParse(payload, out _, out var problem));
        Assert.Contains("attribute", problem);
    }
}
