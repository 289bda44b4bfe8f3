using ConnExporter.Inventory;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConnExporter.Tests.Inventory;

public class InventoryCollectorTests
{
    /// <summary>Returns the same scripted dump on every read, as a kernel would mid-churn.</summary>
    private sealed class ScriptedSource(params SocketRecord[] records) : ISocketSource
    {
        public string Name => "scripted";

        public SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink)
        {
            sink.AddRange(records);
            return SourceReadResult.Clean;
        }
    }

    private static SocketRecord Tcp(SocketState state, ushort localPort, ushort remotePort, ulong cookie, ulong inode) => new(
        SocketProtocol.Tcp, IpFamily.IPv4, state,
        new InetEndpoint(InetAddress.Parse("127.0.0.1"), localPort),
        new InetEndpoint(remotePort == 0 ? InetAddress.AnyIPv4 : InetAddress.Parse("127.0.0.1"), remotePort),
        BoundInterfaceIndex: 0, inode, Uid: 0, cookie, ReceiveQueue: 0, SendQueue: 0, Tcp: null);

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
    }
}
