using System.Net;
using System.Net.Sockets;
using ConnExporter.Inventory;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.ProcFs;

public class ProcNetSockStatTests
{
    // Real output of kernel 6.18 (net/ipv4/proc.c sockstat_seq_show, net/ipv6/proc.c sockstat6_seq_show).
    private const string SockStat =
        "sockets: used 40\nTCP: inuse 2 orphan 0 tw 4 alloc 2 mem 26\nUDP: inuse 3 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n";
    private const string SockStat6 =
        "TCP6: inuse 5\nUDP6: inuse 1\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n";

    [Fact]
    public void Parses_both_files()
    {
        Assert.Equal(new ProcNetSockStat(Tcp: 2, TcpTimeWait: 4, Udp: 3), ProcNetSockStat.Parse(System.Text.Encoding.ASCII.GetBytes(SockStat)));
        Assert.Equal(new ProcNetSockStat(Tcp: 5, TcpTimeWait: 0, Udp: 1), ProcNetSockStat.Parse(System.Text.Encoding.ASCII.GetBytes(SockStat6)));
    }

    [Theory]
    [InlineData("TCP: inuse 2 orphan 0 tw 0\nUDP: inuse 0\n", "TCP6: inuse 0\nUDP6: inuse 1\n", SocketKinds.Tcp4 | SocketKinds.Udp6)]
    [InlineData("TCP: inuse 0 orphan 0 tw 3\nUDP: inuse 0\n", "TCP6: inuse 0\nUDP6: inuse 0\n", SocketKinds.Tcp)] // TIME_WAIT of either family
    [InlineData("TCP: inuse 0 orphan 0 tw 0\nUDP: inuse 0\n", null, SocketKinds.None)] // no IPv6: no sockstat6
    [InlineData(null, null, SocketKinds.All)] // unreadable: read everything
    public void Present_kinds_skip_the_tables_a_namespace_has_nothing_in(string? sockstat, string? sockstat6, SocketKinds expected)
    {
        var dir = Directory.CreateTempSubdirectory("cx-sockstat-").FullName;
        try
        {
            if (sockstat is not null) File.WriteAllText(Path.Combine(dir, "sockstat"), sockstat);
            if (sockstat6 is not null) File.WriteAllText(Path.Combine(dir, "sockstat6"), sockstat6);
            Assert.Equal(expected, ProcNetSockStat.PresentKinds(dir, SocketKinds.All));
            Assert.Equal(expected & SocketKinds.Tcp, ProcNetSockStat.PresentKinds(dir, SocketKinds.Tcp));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("TCP: inuse\n")]
    [InlineData("TCP: inuse x tw -3\n")]
    [InlineData("TCP inuse 5\n")]
    [InlineData(":::\n\n")]
    public void Damaged_content_counts_as_zero(string content) =>
        Assert.Equal(default, ProcNetSockStat.Parse(System.Text.Encoding.ASCII.GetBytes(content)));

    [Fact]
    public void A_directory_without_the_files_reads_zero()
    {
        var empty = Directory.CreateTempSubdirectory("cxt-sockstat-");
        try
        {
            Assert.Equal(default, ProcNetSockStat.Read(empty.FullName));
        }
        finally
        {
            empty.Delete();
        }
    }

    [RootFact]
    public void Counts_the_sockets_of_a_fresh_namespace()
    {
        using var ns = new TestNamespace();
        // /proc/net follows the process's first thread; /proc/thread-self/net this thread's namespace.
        var counts = ns.RunInside(() =>
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            client.DualMode = false;
            using var listener6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            listener6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            listener6.Listen();
            client.Connect(listener6.LocalEndPoint!);
            using var server = listener6.Accept();
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ProcNetSockStat.Read("/proc/thread-self/net");
        });

        Assert.Equal(new ProcNetSockStat(Tcp: 4, TcpTimeWait: 0, Udp: 1), counts);
    }
}
