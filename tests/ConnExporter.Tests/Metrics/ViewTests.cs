using ConnExporter.Inventory;
using ConnExporter.Metrics;
using static ConnExporter.Tests.Metrics.ViewTestKit;

namespace ConnExporter.Tests.Metrics;

public sealed class ViewTests
{
    [Fact]
    public void SocketsAreZeroFilledForEveryStateAndFamily()
    {
        var samples = Samples(new SocketsView(), Snapshot(
            Conn(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 80),
            Conn(SocketProtocol.Tcp, SocketState.Listen, "::", 80),
            Conn(SocketProtocol.Udp, SocketState.Close, "127.0.0.53", 53)));
        Assert.Equal(28, samples.Count);
        Assert.Equal(1, samples.Single(s => s["protocol"] == "tcp" && s["family"] == "ipv6" && s["state"] == "LISTEN").Value);
        Assert.Equal(1, samples.Single(s => s["protocol"] == "udp" && s["family"] == "ipv4" && s["state"] == "UNCONN").Value);
        Assert.Equal(0, samples.Single(s => s["protocol"] == "tcp" && s["family"] == "ipv4" && s["state"] == "NEW_SYN_RECV").Value);
        Assert.Equal(3, samples.Sum(s => s.Value));
    }

    [Fact]
    public void ProcessesAreCappedWithAnOtherBucketAndADropCounter()
    {
        var dropped = new DroppedSeries();
        var view = new ProcessesView(3, dropped);
        var conns = new List<Connection>();
        for (int i = 0; i < 10; i++)
            for (int j = 0; j <= i; j++)
                conns.Add(Conn(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", 80, process: $"p{i}", unit: "u.service"));
        conns.Add(Conn(SocketProtocol.Tcp, SocketState.TimeWait, "10.0.0.1", 80));
        var samples = Samples(view, Snapshot([.. conns]));
        var perProcess = samples.Where(s => s.Name == ProcessesView.ProcessSockets).ToList();
        Assert.Equal(3, perProcess.Count);
        Assert.Equal(["other", "p8", "p9"], perProcess.Select(s => s["process"]).Order());
        Assert.Equal(55, perProcess.Sum(s => s.Value)); // nothing lost, only folded
        Assert.Equal(8, dropped.Get(ProcessesView.ProcessSockets));
        Assert.Equal(1, samples.Single(s => s.Name == ProcessesView.UnownedSockets && s["state"] == "TIME_WAIT").Value);
    }

    [Fact]
    public void PeersDropEphemeralPortsAndFoldNamedNetworks()
    {
        var networks = NamedNetwork.ParseList(["office=10.0.0.0/8"], "collector.peers.networks");
        var view = new PeersView(100, networks, new DroppedSeries());
        var samples = Samples(view, Snapshot(
            Conn(SocketProtocol.Tcp, SocketState.Established, "192.168.1.1", 443, "10.1.2.3", 51000, direction: Direction.Incoming, process: "nginx"),
            Conn(SocketProtocol.Tcp, SocketState.Established, "192.168.1.1", 443, "10.9.9.9", 52000, direction: Direction.Incoming, process: "nginx"),
            Conn(SocketProtocol.Tcp, SocketState.Established, "192.168.1.1", 40001, "203.0.113.5", 5432, direction: Direction.Outgoing, process: "app"),
            Conn(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 443, direction: Direction.Listen, process: "nginx")));
        Assert.Equal(2, samples.Count);
        var incoming = samples.Single(s => s["direction"] == "incoming");
        Assert.Equal(("office", "443", 2.0), (incoming["peer_address"], incoming["port"], incoming.Value));
        var outgoing = samples.Single(s => s["direction"] == "outgoing");
        Assert.Equal(("203.0.113.5", "5432", "app"), (outgoing["peer_address"], outgoing["port"], outgoing["process"]));
    }

    [Fact]
    public void ListenersAreDeduplicatedAndQueuesSummed()
    {
        var samples = Samples(new ListenersView(), Snapshot(
            Conn(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 80, iface: "any", process: "nginx", rq: 3, wq: 511),
            Conn(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 80, iface: "any", process: "nginx", rq: 2, wq: 511),
            Conn(SocketProtocol.Udp, SocketState.Close, "127.0.0.53", 53, iface: "lo", process: "resolved"),
            Conn(SocketProtocol.Udp, SocketState.Established, "127.0.0.1", 40000, "127.0.0.53", 53, iface: "lo", process: "dig")));
        Assert.Equal(2, samples.Count(s => s.Name == ListenersView.ListenersInfo));
        Assert.Equal(5, samples.Single(s => s.Name == ListenersView.ListenQueue).Value);
        Assert.Equal(1022, samples.Single(s => s.Name == ListenersView.ListenBacklog).Value);
    }

    [Fact]
    public void TcpHealthHistogramCountsEstablishedSockets()
    {
        var fast = new TcpHealth(50, 10, 0, 0, 1448, 0, 0);
        var slow = new TcpHealth(30_000, 100, 3, 2, 1448, 0, 0);
        var samples = Samples(new TcpHealthView(10, new DroppedSeries()), Snapshot(
            Conn(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", 1, process: "a", tcp: fast),
            Conn(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", 2, process: "a", tcp: slow),
            Conn(SocketProtocol.Tcp, SocketState.TimeWait, "10.0.0.1", 3, process: "a", tcp: slow)));
        Assert.Equal(2, samples.Single(s => s.Name == "conn_tcp_rtt_seconds_count").Value);
        Assert.Equal(1, samples.Single(s => s.Name == "conn_tcp_rtt_seconds_bucket" && s["le"] == "0.0001").Value);
        Assert.Equal(1, samples.Single(s => s.Name == "conn_tcp_rtt_seconds_bucket" && s["le"] == "0.025").Value);
        Assert.Equal(2, samples.Single(s => s.Name == "conn_tcp_rtt_seconds_bucket" && s["le"] == "0.05").Value);
        Assert.Equal(3, samples.Single(s => s.Name == TcpHealthView.Retransmits).Value);
        Assert.Equal(2 * 1448, samples.Single(s => s.Name == TcpHealthView.InFlight).Value);
    }

    [Fact]
    public void ConnectionsInfoIsCappedAndSkipsTimeWait()
    {
        var dropped = new DroppedSeries();
        var conns = Enumerable.Range(0, 5).Select(i => Conn(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", (ushort)(1000 + i), process: "x"))
            .Append(Conn(SocketProtocol.Tcp, SocketState.TimeWait, "10.0.0.1", 2000)).ToArray();
        var samples = Samples(new ConnectionsView(3, includeTimeWait: false, dropped), Snapshot(conns));
        Assert.Equal(3, samples.Count);
        Assert.Equal(3, samples.Single(s => s["state"] == "other").Value);
        Assert.Equal(3, dropped.Get(ConnectionsView.ConnectionsInfo));
        Assert.DoesNotContain(samples, s => s["state"] == "TIME_WAIT");

        var all = Samples(new ConnectionsView(100, includeTimeWait: true, new DroppedSeries()), Snapshot(conns));
        Assert.Equal(6, all.Count);
    }

    [Theory]
    [InlineData("lan=192.168.0.0/16", "192.168.5.5", true)]
    [InlineData("lan=192.168.0.0/16", "192.169.0.1", false)]
    [InlineData("v6=fd00::/8", "fd12::1", true)]
    [InlineData("odd=10.0.0.0/9", "10.127.255.255", true)]
    [InlineData("odd=10.0.0.0/9", "10.128.0.0", false)]
    [InlineData("lan=192.168.0.0/16", "::ffff:192.168.1.1", true)]
    public void NamedNetworksMatchPrefixes(string spec, string address, bool inside) =>
        Assert.Equal(inside, NamedNetwork.ParseList([spec], "f")[0].Contains(InetAddress.Parse(address)));

    [Theory]
    [InlineData("noequals")]
    [InlineData("x=10.0.0.0")]
    [InlineData("x=10.0.0.0/33")]
    [InlineData("x=banana/8")]
    public void BadNetworksFailWithTheFlagName(string spec)
    {
        var e = Assert.Throws<ConnExporter.Cli.CommandLineException>(() => NamedNetwork.ParseList([spec], "collector.peers.networks"));
        Assert.Contains("--collector.peers.networks", e.Message, StringComparison.Ordinal);
    }
}
