using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Tests.Kernel.Netlink;

public class InetDiagDumpTests
{
    private const uint Sequence = 17;

    private static InetDiagFields Tcp(string local, ushort lport, string remote, ushort rport, byte state, uint inode) =>
        new(Family: 2, State: state, Source: local, SourcePort: lport, Destination: remote, DestinationPort: rport,
            Cookie: inode * 1000ul, Uid: 0, Inode: inode);

    [Fact]
    public void Turns_a_multi_message_batch_into_records()
    {
        var info = SockDiagBatchBuilder.TcpInfo(232, 65483, 0, 30, 15, 0, 10, 20);
        var batch = new SockDiagBatchBuilder()
            .InetDiag(Sequence, Tcp("127.0.0.1", 8080, "0.0.0.0", 0, state: 10, inode: 100), (2, info))
            .InetDiag(Sequence, Tcp("127.0.0.1", 8080, "127.0.0.1", 40000, state: 1, inode: 101), (2, info))
            .InetDiag(Sequence, Tcp("127.0.0.1", 40000, "127.0.0.1", 8080, state: 6, inode: 0)) // TIME_WAIT: no info
            .Done(Sequence)
            .ToArray();
        var sink = new List<SocketRecord>();
        var tcp = new List<TcpHealth?>();
        var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence);

        dump.Add(batch, truncated: false, sink, tcp);

        Assert.True(dump.IsDone);
        Assert.Equal(0, dump.Error);
        Assert.Equal(SourceReadResult.Clean, dump.Result);
        Assert.Equal(3, sink.Count);
        Assert.Equal(new SocketRecord(SocketProtocol.Tcp, IpFamily.IPv4, SocketState.Listen,
            new InetEndpoint(InetAddress.Parse("127.0.0.1"), 8080), new InetEndpoint(InetAddress.AnyIPv4, 0),
            BoundInterfaceIndex: 0, Inode: 100, Uid: 0, Cookie: 100_000, ReceiveQueue: 0, SendQueue: 0), sink[0]);
        Assert.Equal(SocketState.Established, sink[1].State);
        Assert.Equal((ushort)40000, sink[1].Remote.Port);
        Assert.Equal(SocketState.TimeWait, sink[2].State);
        Assert.Equal(0ul, sink[2].Inode);
        Assert.Equal([new TcpHealth(30, 15, 0, 0, 65483, 10, 20), new TcpHealth(30, 15, 0, 0, 65483, 10, 20), null], tcp);
    }

    [Fact]
    public void Without_a_tcp_list_the_records_are_the_same()
    {
        var info = SockDiagBatchBuilder.TcpInfo(232, 65483, 0, 30, 15, 0, 10, 20);
        var batch = new SockDiagBatchBuilder()
            .InetDiag(Sequence, Tcp("127.0.0.1", 8080, "0.0.0.0", 0, state: 10, inode: 100), (2, info))
            .InetDiag(Sequence, Tcp("127.0.0.1", 40000, "127.0.0.1", 8080, state: 6, inode: 0))
            .Done(Sequence)
            .ToArray();
        var with = new List<SocketRecord>();
        var without = new List<SocketRecord>();

        new InetDiagDump(SocketProtocol.Tcp, Sequence).Add(batch, false, with, new List<TcpHealth?>());
        new InetDiagDump(SocketProtocol.Tcp, Sequence).Add(batch, false, without);

        Assert.Equal(2, without.Count);
        Assert.Equal(with, without);
    }

    [Fact]
    public void Udp_records_never_carry_tcp_health()
    {
        var udp = new InetDiagFields(Family: 2, State: 7, Source: "127.0.0.53", SourcePort: 53, Destination: "0.0.0.0",
            DestinationPort: 0, Interface: 1, Inode: 9);
        var info = SockDiagBatchBuilder.TcpInfo(144, 1, 1, 1, 1, 1, 1, 1);
        var sink = new List<SocketRecord>();
        var tcp = new List<TcpHealth?>();
        var dump = new InetDiagDump(SocketProtocol.Udp, Sequence);

        dump.Add(new SockDiagBatchBuilder().InetDiag(Sequence, udp, (2, info)).Done(Sequence).ToArray(), false, sink, tcp);

        var record = Assert.Single(sink);
        Assert.Equal(SocketProtocol.Udp, record.Protocol);
        Assert.Equal(SocketState.Close, record.State);
        Assert.Equal(1, record.BoundInterfaceIndex);
        Assert.Null(Assert.Single(tcp));
    }

    [Fact]
    public void Spans_several_batches_and_ignores_other_sequences()
    {
        var sink = new List<SocketRecord>();
        var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence);

        dump.Add(new SockDiagBatchBuilder()
            .InetDiag(Sequence, Tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, 1))
            .InetDiag(Sequence + 1, Tcp("10.0.0.1", 3, "10.0.0.2", 4, 1, 2))
            .ToArray(), false, sink);
        Assert.False(dump.IsDone);
        dump.Add(new SockDiagBatchBuilder().InetDiag(Sequence, Tcp("10.0.0.1", 5, "10.0.0.2", 6, 1, 3)).Done(Sequence).ToArray(), false, sink);

        Assert.True(dump.IsDone);
        Assert.Equal([1ul, 3ul], sink.Select(r => r.Inode));
    }

    [Fact]
    public void Malformed_message_is_counted_and_the_rest_of_the_batch_kept()
    {
        var bad = SockDiagBatchBuilder.InetDiagPayload(Tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, 1))[..40];
        var sink = new List<SocketRecord>();
        var tcp = new List<TcpHealth?>();
        var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence);

        dump.Add(new SockDiagBatchBuilder()
            .Message(SockDiagBatchBuilder.SockDiagByFamily, Sequence, bad)
            .InetDiag(Sequence, Tcp("10.0.0.1", 5, "10.0.0.2", 6, 1, 3))
            .Done(Sequence).ToArray(), false, sink, tcp);

        Assert.True(dump.IsDone);
        Assert.False(dump.LostMessages);
        Assert.Equal(1, dump.Malformed);
        Assert.Contains("72", dump.FirstProblem);
        Assert.Equal(3ul, Assert.Single(sink).Inode);
        Assert.Single(tcp); // a skipped message has no tcp_info entry either
    }

    [Fact]
    public void Malformed_batch_is_counted_once_and_marks_messages_lost()
    {
        var batch = new SockDiagBatchBuilder()
            .InetDiag(Sequence, Tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, 1))
            .InetDiag(Sequence, Tcp("10.0.0.1", 3, "10.0.0.2", 4, 1, 2))
            .Done(Sequence)
            .ToArray();
        var truncated = batch[..(batch.Length - 30)]; // cuts the second message
        var sink = new List<SocketRecord>();
        var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence);

        dump.Add(truncated, truncated: false, sink);

        Assert.False(dump.IsDone);
        Assert.True(dump.LostMessages);
        Assert.Equal(new SourceReadResult(1, "nlmsg_len longer than the bytes left in the batch"), dump.Result);
        Assert.Equal(1ul, Assert.Single(sink).Inode);
    }

    [Fact]
    public void Datagram_longer_than_the_buffer_is_counted_once()
    {
        var batch = new SockDiagBatchBuilder()
            .InetDiag(Sequence, Tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, 1))
            .InetDiag(Sequence, Tcp("10.0.0.1", 3, "10.0.0.2", 4, 1, 2))
            .ToArray();
        var sink = new List<SocketRecord>();
        var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence);

        dump.Add(batch.AsSpan(0, 100), truncated: true, sink);

        Assert.Equal(1, dump.Malformed);
        Assert.Contains("receive buffer", dump.FirstProblem);
        Assert.True(dump.LostMessages);
        Assert.Single(sink);
    }

    [Fact]
    public void Kernel_error_ends_the_dump_with_its_errno()
    {
        var sink = new List<SocketRecord>();
        var dump = new InetDiagDump(SocketProtocol.Udp, Sequence);
        dump.Add(new SockDiagBatchBuilder().Error(Sequence, -2).ToArray(), false, sink);
        Assert.True(dump.IsDone);
        Assert.Equal(-2, dump.Error);
        Assert.Empty(sink);
        Assert.Equal(0, dump.Malformed);
    }

    [Fact]
    public void Legacy_dump_takes_tcpdiag_replies_of_both_families_and_only_them()
    {
        const ushort TcpDiagGetSock = 18;
        var v6 = Tcp("::1", 22, "::1", 50000, 1, 2) with { Family = 10 };
        var sink = new List<SocketRecord>();
        var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence, InetDiagLegacyRequest.TcpDiagGetSock);

        dump.Add(new SockDiagBatchBuilder()
            .Message(TcpDiagGetSock, Sequence, SockDiagBatchBuilder.InetDiagPayload(Tcp("10.0.0.1", 1, "10.0.0.2", 2, 1, 1)))
            .Message(TcpDiagGetSock, Sequence, SockDiagBatchBuilder.InetDiagPayload(v6))
            .InetDiag(Sequence, Tcp("10.0.0.1", 3, "10.0.0.2", 4, 1, 3)) // SOCK_DIAG_BY_FAMILY: not this dump's
            .Done(Sequence).ToArray(), false, sink);

        Assert.True(dump.IsDone);
        Assert.Equal(SourceReadResult.Clean, dump.Result);
        Assert.Equal([(IpFamily.IPv4, 1ul), (IpFamily.IPv6, 2ul)], sink.Select(r => (r.Family, r.Inode)));
        Assert.Equal(InetAddress.Parse("::1"), sink[1].Local.Address);
    }
}
