using System.Net;
using System.Net.Sockets;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.Netlink;

public class SockDiagSourceTests
{
    [Fact]
    public void Is_named_netlink() => Assert.Equal("netlink", new SockDiagSource().Name);

    [Fact]
    public void Finds_a_listener_of_this_process()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        ushort port = (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;
        var source = new SockDiagSource();
        var sink = new List<SocketRecord>();
        var tcp = new List<TcpHealth?>();

        var result = source.Read(SocketKinds.Tcp4, sink, tcp);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(sink.Count, tcp.Count);
        int index = Assert.Single(Enumerable.Range(0, sink.Count), k => sink[k].Local.Port == port && sink[k].State == SocketState.Listen);
        var mine = sink[index];
        Assert.Equal(SocketProtocol.Tcp, mine.Protocol);
        Assert.Equal(IpFamily.IPv4, mine.Family);
        Assert.Equal(InetAddress.Parse("127.0.0.1"), mine.Local.Address);
        Assert.NotEqual(0ul, mine.Inode);
        Assert.NotEqual(0ul, mine.Cookie);
        Assert.NotNull(tcp[index]);
        Assert.All(sink, r => Assert.Equal(IpFamily.IPv4, r.Family));
    }

    [Fact]
    public void A_listening_only_source_returns_listeners_and_unconnected_udp_and_nothing_else()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var listening = (IPEndPoint)listener.LocalEndPoint!;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listening);
        using var accepted = listener.Accept();
        ushort clientPort = (ushort)((IPEndPoint)client.LocalEndPoint!).Port;
        using var unconnected = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        unconnected.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        ushort unconnectedPort = (ushort)((IPEndPoint)unconnected.LocalEndPoint!).Port;
        using var connected = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        connected.Connect(listening); // UDP "connect": state ESTABLISHED, no packet sent
        ushort connectedPort = (ushort)((IPEndPoint)connected.LocalEndPoint!).Port;

        var all = new List<SocketRecord>();
        new SockDiagSource().Read(SocketKinds.All, all);
        var sink = new List<SocketRecord>();
        var result = new SockDiagSource(tcpInfo: false, listeningOnly: true).Read(SocketKinds.All, sink);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.NotEmpty(sink);
        Assert.All(sink, r => Assert.True(ConnExporter.Cli.ConnectionFilter.IsListening(r), $"{r.Protocol} {r.State} {r.Local}"));
        Assert.Single(sink, r => r.Protocol == SocketProtocol.Tcp && r.Local.Port == listening.Port && r.State == SocketState.Listen);
        Assert.Single(sink, r => r.Protocol == SocketProtocol.Udp && r.Local.Port == unconnectedPort && r.Family == IpFamily.IPv6);
        Assert.DoesNotContain(sink, r => r.Local.Port == clientPort || r.Local.Port == connectedPort);
        // The same sockets the full dump shows in those states (sockets of parallel tests may come
        // and go between the two dumps, so only this test's own are compared).
        ushort[] mine = [(ushort)listening.Port, unconnectedPort, clientPort, connectedPort];
        Assert.Equal(
            all.Where(r => mine.Contains(r.Local.Port) && ConnExporter.Cli.ConnectionFilter.IsListening(r)).Select(r => r.Cookie).Order(),
            sink.Where(r => mine.Contains(r.Local.Port)).Select(r => r.Cookie).Order());
    }

    [Fact]
    public void Reads_only_the_requested_kinds_and_is_reusable()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        ushort port = (ushort)((IPEndPoint)udp.LocalEndPoint!).Port;
        var source = new SockDiagSource();

        for (int i = 0; i < 3; i++)
        {
            var sink = new List<SocketRecord>();
            var tcp = new List<TcpHealth?>();
            source.Read(SocketKinds.Udp4, sink, tcp);
            Assert.All(sink, r => Assert.Equal((SocketProtocol.Udp, IpFamily.IPv4), (r.Protocol, r.Family)));
            int index = Assert.Single(Enumerable.Range(0, sink.Count), k => sink[k].Local.Port == port);
            Assert.Equal(SocketState.Close, sink[index].State);
            Assert.Equal(sink.Count, tcp.Count);
            Assert.Null(tcp[index]);
        }
        var none = new List<SocketRecord>();
        Assert.Equal(SourceReadResult.Clean, source.Read(SocketKinds.None, none));
        Assert.Empty(none);
    }

    [Fact]
    public void Does_not_allocate_per_socket()
    {
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            var source = new SockDiagSource();
            var sink = new List<SocketRecord>();
            source.Read(SocketKinds.All, sink);
            source.Read(SocketKinds.All, sink);
            int count = sink.Count / 2;
            sink = new List<SocketRecord>(count * 2);

            long before = GC.GetAllocatedBytesForCurrentThread();
            source.Read(SocketKinds.All, sink);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.True(sink.Count >= 1000, $"read {sink.Count} sockets");
            // A few objects per dump (socket handle, dump state), nothing per socket.
            Assert.True(allocated < 8 * 1024, $"allocated {allocated} bytes for {sink.Count} sockets");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [RootFact]
    public void Matches_ss_inside_a_fresh_namespace()
    {
        using var ns = new TestNamespace();
        var (records, result, ss, ports) = ns.RunInside(() =>
        {
            using var pair = new ConnectedPair(IPAddress.Loopback);
            var (listener, client, server) = (pair.Listener, pair.Client, pair.Server);
            PingPong(client, server);

            using var listener6 = Tcp(AddressFamily.InterNetworkV6);
            listener6.Bind(new IPEndPoint(IPAddress.Parse(TestNamespace.TunIPv6), 0));
            listener6.Listen();

            using var dns = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            dns.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.53"), 53));
            using var resolver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            resolver.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.53"), 53));

            // Bound but neither listening nor connecting: Linux 6.7+ can dump these (the
            // bound-inactive pseudo-state, a walk of the bind hash), but ss and /proc/net/tcp
            // do not show them, and neither does the inventory.
            using var boundOnly = Tcp(AddressFamily.InterNetwork);
            boundOnly.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var boundOnly6 = Tcp(AddressFamily.InterNetworkV6);
            boundOnly6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));

            var sink = new List<SocketRecord>();
            var tcp = new List<TcpHealth?>();
            var read = new SockDiagSource().Read(SocketKinds.All, sink, tcp);
            Assert.Equal(sink.Count, tcp.Count);
            string text = ns.Exec("ss", "-H -tuane");
            var endpoints = (
                Listener: (ushort)((IPEndPoint)listener.LocalEndPoint!).Port,
                Client: (ushort)((IPEndPoint)client.LocalEndPoint!).Port,
                Listener6: (ushort)((IPEndPoint)listener6.LocalEndPoint!).Port,
                Resolver: (ushort)((IPEndPoint)resolver.LocalEndPoint!).Port);
            return (sink.Zip(tcp, (record, health) => (Record: record, Tcp: health)).ToList(), read, text, endpoints);
        });

        Assert.Equal(SourceReadResult.Clean, result);
        var truth = SsLine.ParseAll(ss);

        // Exactly the sockets this test opened, as the kernel reports them.
        var loopback = InetAddress.Parse("127.0.0.1");
        var dnsAddress = InetAddress.Parse("127.0.0.53");
        var expected = new HashSet<(SocketProtocol, SocketState, InetEndpoint, InetEndpoint)>
        {
            (SocketProtocol.Tcp, SocketState.Listen, new(loopback, ports.Listener), new(InetAddress.AnyIPv4, 0)),
            (SocketProtocol.Tcp, SocketState.Established, new(loopback, ports.Client), new(loopback, ports.Listener)),
            (SocketProtocol.Tcp, SocketState.Established, new(loopback, ports.Listener), new(loopback, ports.Client)),
            (SocketProtocol.Tcp, SocketState.Listen, new(InetAddress.Parse(TestNamespace.TunIPv6), ports.Listener6), new(InetAddress.AnyIPv6, 0)),
            (SocketProtocol.Udp, SocketState.Close, new(dnsAddress, 53), new(InetAddress.AnyIPv4, 0)),
            (SocketProtocol.Udp, SocketState.Established, new(loopback, ports.Resolver), new(dnsAddress, 53)),
        };
        Assert.Equal(expected, records.Select(r => (r.Record.Protocol, r.Record.State, r.Record.Local, r.Record.Remote)).ToHashSet());
        Assert.Equal(expected, truth.Select(s => (s.Protocol, s.State, s.Local, s.Remote)).ToHashSet());

        // Counts per protocol, family and state agree with ss.
        Assert.Equal(
            truth.CountBy(s => (s.Protocol, s.Family, s.State)).OrderBy(p => p.Key).ToList(),
            records.CountBy(r => (r.Record.Protocol, r.Record.Family, r.Record.State)).OrderBy(p => p.Key).ToList());

        // Inode and cookie of every socket agree with ss -e.
        Assert.Equal(
            truth.Select(s => (s.Protocol, s.Local, s.Remote, s.Inode, s.Cookie)).ToHashSet(),
            records.Select(r => (r.Record.Protocol, r.Record.Local, r.Record.Remote, r.Record.Inode, r.Record.Cookie)).ToHashSet());
        Assert.All(records, r => Assert.NotEqual(0ul, r.Record.Inode));
        Assert.All(records, r => Assert.Equal(0u, r.Record.Uid));
        Assert.Equal(records.Count, records.Select(r => r.Record.Cookie).Distinct().Count());

        Assert.All(records.Where(r => r.Record.Protocol == SocketProtocol.Udp), r => Assert.Null(r.Tcp));
        var clientSide = records.Single(r => r.Record.State == SocketState.Established && r.Record.Local.Port == ports.Client);
        var serverSide = records.Single(r => r.Record.State == SocketState.Established && r.Record.Remote.Port == ports.Client);
        foreach (var established in (ReadOnlySpan<(SocketRecord Record, TcpHealth? Tcp)>)[clientSide, serverSide])
        {
            var tcp = Assert.NotNull(established.Tcp);
            Assert.True(tcp.RttMicros > 0, $"rtt of {established.Record.Local} -> {established.Record.Remote} is 0");
            Assert.True(tcp.SendMss > 0);
        }
        // Every request the client sent was answered, which acknowledged it.
        Assert.True(clientSide.Tcp!.Value.BytesAcked >= PingPongBytes, $"client bytes_acked {clientSide.Tcp.Value.BytesAcked}");
        Assert.True(serverSide.Tcp!.Value.BytesReceived >= PingPongBytes, $"server bytes_received {serverSide.Tcp.Value.BytesReceived}");
    }

    [RootFact]
    public void A_namespace_without_sockets_reads_empty()
    {
        using var ns = new TestNamespace();
        var (records, result) = ns.RunInside(() =>
        {
            var sink = new List<SocketRecord>();
            return (sink, new SockDiagSource().Read(SocketKinds.All, sink));
        });
        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Empty(records);
    }

    private const int PingPongRounds = 5;
    private const int PingPongBytes = PingPongRounds * 1000;

    private static Socket Tcp(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A TCP listener on <paramref name="address"/> (a free port) and one connection to it, both ends open.</summary>
    private sealed class ConnectedPair : IDisposable
    {
        public ConnectedPair(IPAddress address)
        {
            Listener = Tcp(address.AddressFamily);
            Listener.Bind(new IPEndPoint(address, 0));
            Listener.Listen();
            Client = Tcp(address.AddressFamily);
            Client.Connect(Listener.LocalEndPoint!);
            Server = Listener.Accept();
        }

        public Socket Listener { get; }
        public Socket Client { get; }
        public Socket Server { get; }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
            Listener.Dispose();
        }
    }

    private static void PingPong(Socket client, Socket server)
    {
        var request = new byte[1000];
        var buffer = new byte[1000];
        for (int i = 0; i < PingPongRounds; i++)
        {
            client.Send(request);
            ReceiveExactly(server, buffer, request.Length);
            server.Send(buffer.AsSpan(0, 10));
            ReceiveExactly(client, buffer, 10);
        }
    }

    private static void ReceiveExactly(Socket socket, byte[] buffer, int count)
    {
        int received = 0;
        while (received < count)
        {
            int n = socket.Receive(buffer, received, count - received, SocketFlags.None);
            Assert.True(n > 0, "peer closed early");
            received += n;
        }
    }

    [RootFact]
    public void One_dump_of_both_tcp_families_reads_what_two_per_family_dumps_read()
    {
        using var ns = new TestNamespace();
        var (both, perFamily, result) = ns.RunInside(() =>
        {
            using var v4 = new ConnectedPair(IPAddress.Loopback);
            using var v6 = new ConnectedPair(IPAddress.IPv6Loopback);

            var source = new SockDiagSource(tcpInfo: false);
            var one = new List<SocketRecord>();
            var oneTcp = new List<TcpHealth?>();
            var read = source.Read(SocketKinds.Tcp, one, oneTcp);
            Assert.True(source.TcpInOneDump, "the kernel refused TCPDIAG_GETSOCK");
            var two = new List<SocketRecord>();
            var twoTcp = new List<TcpHealth?>();
            source.Read(SocketKinds.Tcp4, two, twoTcp);
            source.Read(SocketKinds.Tcp6, two, twoTcp);
            Assert.Equal(one.Count, oneTcp.Count);
            Assert.Equal(two.Count, twoTcp.Count);
            // Not asked for (tcpInfo: false), so none came back.
            Assert.All(oneTcp, t => Assert.Null(t));
            Assert.All(twoTcp, t => Assert.Null(t));
            return (one, two, read);
        });

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(6, both.Count); // per family: a listener and both ends of a connection
        Assert.Equal(perFamily.OrderBy(r => r.Cookie), both.OrderBy(r => r.Cookie));
        Assert.Contains(both, r => r.Family == IpFamily.IPv4);
        Assert.Contains(both, r => r.Family == IpFamily.IPv6);
    }

    [RootFact]
    public void Concurrent_family_dumps_read_what_one_dump_after_another_reads_in_the_same_order()
    {
        using var ns = new TestNamespace();
        var (concurrent, concurrentTcp, sequential, sequentialTcp, result) = ns.RunInside(() =>
        {
            using var v4 = new ConnectedPair(IPAddress.Loopback);
            using var v6 = new ConnectedPair(IPAddress.IPv6Loopback);
            using var udp4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var udp6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            udp6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));

            // The second thread is not in this namespace: only the sockets opened here decide
            // which namespace it dumps, so anything of the host's would show up below.
            var sink = new List<SocketRecord>();
            var tcp = new List<TcpHealth?>();
            var read = new SockDiagSource(concurrentFamilies: true).Read(SocketKinds.All, sink, tcp);
            var one = new SockDiagSource();
            var each = new List<SocketRecord>();
            var eachTcp = new List<TcpHealth?>();
            foreach (var kind in (SocketKinds[])[SocketKinds.Tcp4, SocketKinds.Tcp6, SocketKinds.Udp4, SocketKinds.Udp6])
                one.Read(kind, each, eachTcp);
            return (sink, tcp, each, eachTcp, read);
        });

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(8, concurrent.Count); // per family: a listener, both ends of a connection, a UDP socket
        Assert.Equal(sequential.Select(r => (r.Cookie, r.Protocol, r.Family, r.State, r.Local, r.Remote)),
            concurrent.Select(r => (r.Cookie, r.Protocol, r.Family, r.State, r.Local, r.Remote)));
        Assert.Equal(concurrent.Count, concurrentTcp.Count);
        Assert.Equal(sequentialTcp.Select(t => t.HasValue), concurrentTcp.Select(t => t.HasValue));
        Assert.All(concurrent.Zip(concurrentTcp).Where(p => p.First.Protocol == SocketProtocol.Tcp), p => Assert.NotNull(p.Second));
        Assert.All(concurrent.Zip(concurrentTcp).Where(p => p.First.Protocol == SocketProtocol.Udp), p => Assert.Null(p.Second));
    }
}
