using System.Net;
using System.Net.Sockets;
using ConnExporter.Inventory;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.ProcFs;

public sealed class ProcNetSourceNamespaceTests
{
    [RootFact]
    public void AgreesWithSsInAFreshNamespace()
    {
        using var ns = new TestNamespace("cxt-procfs");

        var (records, ss) = ns.RunInside(() =>
        {
            using var sockets = new SocketScenario();
            var source = new ProcNetSource("/proc/thread-self/net");
            var sink = new List<SocketRecord>();
            // The TIME_WAIT appears once the kernel has processed both FINs on loopback.
            for (var deadline = DateTime.UtcNow.AddSeconds(5); ; Thread.Sleep(50))
            {
                sink.Clear();
                Assert.Equal(SourceReadResult.Clean, source.Read(SocketKinds.All, sink));
                if (sink.Any(r => r.State == SocketState.TimeWait) || DateTime.UtcNow > deadline) break;
            }
            return (sink, ns.Exec("ss", "-H -tuan"));
        });

        var ours = records
            .GroupBy(r => $"{(r.Protocol == SocketProtocol.Tcp ? "tcp" : "udp")} {r.Family} {ProcNetSocketTableTests.SsStateName(r)}")
            .ToDictionary(g => g.Key, g => g.Count());
        var theirs = ss.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .GroupBy(f => $"{f[0]} {(f[4].StartsWith('[') || f[4].StartsWith('*') ? IpFamily.IPv6 : IpFamily.IPv4)} {f[1]}")
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(theirs.OrderBy(p => p.Key, StringComparer.Ordinal), ours.OrderBy(p => p.Key, StringComparer.Ordinal));
        // The scenario's sockets are all there, so the comparison above is not of two empty sets.
        Assert.Equal(3, ours["tcp IPv4 LISTEN"]);        // :8080, :9100, :7000
        Assert.Equal(3, ours["tcp IPv6 LISTEN"]);
        Assert.Equal(1, ours["tcp IPv4 TIME-WAIT"]);
        Assert.Equal(1, ours["udp IPv4 UNCONN"]);
        Assert.Equal(1, ours["udp IPv4 ESTAB"]);
        Assert.Equal(1, ours["udp IPv6 UNCONN"]);

        var mapped = Assert.Single(records, r => r.Family == IpFamily.IPv6 && r.Local.Address.IsIPv4Mapped);
        Assert.Equal(SocketState.Established, mapped.State);
        Assert.Equal(9090, mapped.Local.Port);
        var timeWait = Assert.Single(records, r => r.State == SocketState.TimeWait);
        Assert.Equal(0UL, timeWait.Inode);
        var tun = Assert.Single(records, r => r.State == SocketState.Listen && r.Local.Port == 443);
        Assert.Equal(InetAddress.Parse(TestNamespace.TunIPv6), tun.Local.Address);
    }

    /// <summary>Sockets opened by .NET on the namespace's thread; all closed on dispose.</summary>
    private sealed class SocketScenario : IDisposable
    {
        private readonly List<IDisposable> _open = [];

        public SocketScenario()
        {
            var v4 = Listen(new IPEndPoint(IPAddress.Loopback, 8080));
            Listen(new IPEndPoint(IPAddress.Any, 9100));
            Listen(new IPEndPoint(IPAddress.Loopback, 7000));
            var tun = Listen(new IPEndPoint(IPAddress.Parse(TestNamespace.TunIPv6), 443));
            Listen(new IPEndPoint(IPAddress.IPv6Loopback, 8443));
            var dual = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            _open.Add(dual);
            dual.Bind(new IPEndPoint(IPAddress.IPv6Any, 9090));
            dual.Listen();

            Pair(v4, new IPEndPoint(IPAddress.Loopback, 8080));
            Pair(tun, new IPEndPoint(IPAddress.Parse(TestNamespace.TunIPv6), 443));
            Pair(dual, new IPEndPoint(IPAddress.Loopback, 9090));   // accepted as ::ffff:127.0.0.1

            // TIME_WAIT stays with whoever closes first: the client here.
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, 8080);
            var accepted = v4.Accept();
            client.Close();
            accepted.Receive(new byte[1]);   // returns 0 at the client's FIN
            accepted.Close();

            var resolver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _open.Add(resolver);
            resolver.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.53"), 53));
            var query = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _open.Add(query);
            query.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.53"), 53));
            var mdns = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            _open.Add(mdns);
            mdns.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 5353));
        }

        private Socket Listen(IPEndPoint at)
        {
            var s = new Socket(at.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _open.Add(s);
            s.Bind(at);
            s.Listen();
            return s;
        }

        private void Pair(Socket listener, IPEndPoint to)
        {
            var client = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _open.Add(client);
            client.Connect(to);
            _open.Add(listener.Accept());
        }

        public void Dispose()
        {
            foreach (var s in _open) s.Dispose();
        }
    }
}
