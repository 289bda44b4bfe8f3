using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;
using ConnExporter.Tests.Kernel.Netlink;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConnExporter.Tests.Inventory;

public class InventoryCollectorTests
{
    /// <summary>Returns the same scripted dump on every read, as a kernel would mid-churn.</summary>
    private sealed class ScriptedSource(params SocketRecord[] records) : ISocketSource
    {
        public string Name => "scripted";

        public SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp)
        {
            sink.AddRange(records);
            tcp?.AddRange(new TcpHealth?[records.Length]);
            return SourceReadResult.Clean;
        }
    }

    /// <summary>Replays one netlink TCP dump from its bytes, as the netlink source would parse it.</summary>
    private sealed class DumpSource(byte[] batch) : ISocketSource
    {
        public const uint Sequence = 5;

        public string Name => "dump";

        /// <summary>Whether the last read was handed a tcp_info list.</summary>
        public bool AskedForTcpInfo { get; private set; }

        public SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp)
        {
            AskedForTcpInfo = tcp is not null;
            var dump = new InetDiagDump(SocketProtocol.Tcp, Sequence);
            dump.Add(batch, truncated: false, sink, tcp);
            return dump.Result;
        }
    }

    /// <summary>Says it read one socket but hands back tcp_info for two.</summary>
    private sealed class MisalignedSource : ISocketSource
    {
        public string Name => "misaligned";

        public SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp)
        {
            sink.Add(Tcp(SocketState.Listen, 8080, 0, cookie: 1, inode: 10));
            tcp?.AddRange([null, null]);
            return SourceReadResult.Clean;
        }
    }

    private static SocketRecord Tcp(SocketState state, ushort localPort, ushort remotePort, ulong cookie, ulong inode) => new(
        SocketProtocol.Tcp, IpFamily.IPv4, state,
        new InetEndpoint(InetAddress.Parse("127.0.0.1"), localPort),
        new InetEndpoint(remotePort == 0 ? InetAddress.AnyIPv4 : InetAddress.Parse("127.0.0.1"), remotePort),
        BoundInterfaceIndex: 0, inode, Uid: 0, cookie, ReceiveQueue: 0, SendQueue: 0);

    private static Snapshot Take(params SocketRecord[] records)
    {
        using var collector = new InventoryCollector(new InventoryOptions(ResolveOwners: false), NullLogger.Instance, new ScriptedSource(records));
        return collector.Take();
    }

    [Fact]
    public void A_cookie_seen_twice_is_one_socket_however_its_row_changed()
    {
        var snapshot = Take(
            Tcp(SocketState.SynSent, 40000, 80, cookie: 7, inode: 70),
            Tcp(SocketState.Established, 40000, 80, cookie: 7, inode: 70), // moved while the dump ran
            Tcp(SocketState.Established, 40001, 80, cookie: 8, inode: 80));

        Assert.Equal(1, snapshot.Stats.Duplicates);
        Assert.Equal([(7ul, SocketState.SynSent), (8ul, SocketState.Established)],
            snapshot.Connections.Select(c => (c.Socket.Cookie, c.Socket.State)));
    }

    [Fact]
    public void Without_cookies_the_row_identity_decides()
    {
        var row = Tcp(SocketState.Established, 40000, 80, cookie: 0, inode: 70);
        var snapshot = Take(
            row,
            row,
            row with { Inode = 71 },                       // another socket on a reused 4-tuple
            row with { Protocol = SocketProtocol.Udp },     // another protocol
            row with { Cookie = 9 });                       // a cookie names its own socket

        Assert.Equal(1, snapshot.Stats.Duplicates);
        Assert.Equal(4, snapshot.Connections.Count);
    }

    [Fact]
    public void Enrichment_stays_aligned_with_its_socket_through_deduplication()
    {
        var snapshot = Take(
            Tcp(SocketState.Established, 50000, 8080, cookie: 1, inode: 10),
            Tcp(SocketState.Listen, 8080, 0, cookie: 2, inode: 20),
            Tcp(SocketState.Established, 50000, 8080, cookie: 1, inode: 10),
            Tcp(SocketState.Established, 8080, 50000, cookie: 3, inode: 30),
            Tcp(SocketState.TimeWait, 50001, 8080, cookie: 4, inode: 0));

        Assert.Equal(
            [(1ul, Direction.Outgoing), (2ul, Direction.Listen), (3ul, Direction.Incoming), (4ul, Direction.Outgoing)],
            snapshot.Connections.Select(c => (c.Socket.Cookie, c.Direction)));
        Assert.All(snapshot.Connections, c => Assert.Equal(InterfaceTable.Loopback, c.Interface));
        Assert.All(snapshot.Connections, c => Assert.True(c.IsUnowned));
        Assert.Equal(4, snapshot.Connections.Sockets.Length);
        Assert.Equal(snapshot.Connections.Select(c => c.Socket), snapshot.Connections.Sockets.ToArray());
    }

    /// <summary>
    /// A dump that returned two sockets twice while they moved (their second sighting carries
    /// other tcp_info), with a socket without tcp_info between them.
    /// </summary>
    private static byte[] ChurningDump()
    {
        static InetDiagFields Socket(ushort localPort, byte state, ulong cookie) =>
            new(Family: 2, State: state, Source: "127.0.0.1", SourcePort: localPort, Destination: "127.0.0.1",
                DestinationPort: 8080, Cookie: cookie, Inode: (uint)cookie * 10);
        static (ushort, byte[]) Info(uint rtt) => (InetDiagMessage.AttributeInfo, SockDiagBatchBuilder.TcpInfo(232, 1448, 0, rtt, 1, 0, 0, 0));
        const byte Established = 1, TimeWait = 6;
        return new SockDiagBatchBuilder()
            .InetDiag(DumpSource.Sequence, Socket(40001, Established, cookie: 1), Info(100))
            .InetDiag(DumpSource.Sequence, Socket(40002, Established, cookie: 2), Info(200))
            .InetDiag(DumpSource.Sequence, Socket(40001, Established, cookie: 1), Info(111))  // seen again
            .InetDiag(DumpSource.Sequence, Socket(40003, TimeWait, cookie: 3))                  // no tcp_info
            .InetDiag(DumpSource.Sequence, Socket(40002, Established, cookie: 2), Info(222))  // seen again
            .InetDiag(DumpSource.Sequence, Socket(40004, Established, cookie: 4), Info(400))
            .Done(DumpSource.Sequence)
            .ToArray();
    }

    [Fact]
    public void Tcp_info_stays_with_its_socket_through_deduplication()
    {
        var source = new DumpSource(ChurningDump());
        using var collector = new InventoryCollector(new InventoryOptions(ResolveOwners: false, TcpInfo: true), NullLogger.Instance, source);

        var snapshot = collector.Take();

        Assert.True(source.AskedForTcpInfo);
        Assert.Equal(2, snapshot.Stats.Duplicates);
        Assert.Equal(
            [(1ul, 40001, (uint?)100), (2ul, 40002, 200), (3ul, 40003, null), (4ul, 40004, 400)],
            snapshot.Connections.Select(c => (c.Socket.Cookie, (int)c.Socket.Local.Port, c.Tcp?.RttMicros)));
        Assert.True(snapshot.Connections.HasTcpInfo);
    }

    [Fact]
    public void Without_tcp_info_no_list_is_kept_for_it()
    {
        var source = new DumpSource(ChurningDump());
        using var collector = new InventoryCollector(new InventoryOptions(ResolveOwners: false, TcpInfo: false), NullLogger.Instance, source);

        var snapshot = collector.Take();

        Assert.False(source.AskedForTcpInfo);
        Assert.False(snapshot.Connections.HasTcpInfo);
        Assert.Equal([1ul, 2ul, 3ul, 4ul], snapshot.Connections.Select(c => c.Socket.Cookie));
        Assert.All(snapshot.Connections, c => Assert.Null(c.Tcp));
    }

    [Fact]
    public void A_source_whose_tcp_info_does_not_match_its_sockets_fails_the_collection()
    {
        using var collector = new InventoryCollector(new InventoryOptions(ResolveOwners: false, TcpInfo: true), NullLogger.Instance, new MisalignedSource());

        var e = Assert.Throws<InvalidOperationException>(() => collector.Take());
        Assert.Contains("misaligned", e.Message);
    }

    [Fact]
    public void Each_snapshot_keeps_its_own_sockets_after_the_next_collection()
    {
        using var collector = new InventoryCollector(new InventoryOptions(ResolveOwners: false), NullLogger.Instance,
            new ScriptedSource(Tcp(SocketState.Listen, 8080, 0, cookie: 2, inode: 20)));
        var first = collector.Take();
        var second = collector.Take();

        Assert.NotSame(first.Connections, second.Connections);
        Assert.Equal(8080, Assert.Single(first.Connections).Socket.Local.Port);
        Assert.Equal(8080, Assert.Single(second.Connections).Socket.Local.Port);
    }

    [Fact]
    public void Connections_built_elsewhere_read_back_unchanged()
    {
        var owner = new ProcessInfo(42, 1, "nginx", null, "nginx.service", null);
        Connection[] built =
        [
            new(Tcp(SocketState.Listen, 80, 0, 1, 10), "any", Direction.Listen, [owner]),
            new(Tcp(SocketState.Established, 80, 50000, 2, 11), "lo", Direction.Incoming, []),
        ];
        var snapshot = new Snapshot(built, new SnapshotStats("test", 0, 0, 0, true, 0), DateTimeOffset.UnixEpoch);

        Assert.Equal(built, snapshot.Connections);
        Assert.Same(built[0].Owners, snapshot.Connections[0].Owners);
        Assert.False(snapshot.Connections.HasTcpInfo);
    }

    [Fact]
    public void Connections_built_elsewhere_keep_their_tcp_info()
    {
        var health = new TcpHealth(100, 10, 1, 2, 1448, 3, 4);
        Connection[] built =
        [
            new(Tcp(SocketState.Listen, 80, 0, 1, 10), "any", Direction.Listen, []),
            new(Tcp(SocketState.Established, 80, 50000, 2, 11), "lo", Direction.Incoming, [], health),
            new(Tcp(SocketState.TimeWait, 80, 50001, 3, 0), "lo", Direction.Incoming, []),
        ];
        var snapshot = new Snapshot(built, new SnapshotStats("test", 0, 0, 0, true, 0), DateTimeOffset.UnixEpoch);

        Assert.Equal(built, snapshot.Connections);
        Assert.Equal([null, health, null], snapshot.Connections.Select(c => c.Tcp));
    }
}
