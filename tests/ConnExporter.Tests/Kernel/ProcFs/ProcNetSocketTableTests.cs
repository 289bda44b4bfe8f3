using System.Net;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.ProcFs;

public sealed class ProcNetSocketTableTests
{
    // Fixtures/procfs/netns holds real kernel output captured by Fixtures/procfs/capture.py;
    // ss-tuane.txt beside it is the kernel's own view of the same sockets.
    private static List<SocketRecord> ParseFixture(string file, out SourceReadResult result)
    {
        var (protocol, family) = TableOf(file);
        var sink = new List<SocketRecord>();
        result = ProcNetSocketTable.Parse(
            File.ReadAllBytes(TestEnvironment.Fixture("procfs", "netns", file)), protocol, family, sink);
        return sink;
    }

    private static (SocketProtocol, IpFamily) TableOf(string file) => file switch
    {
        "tcp" => (SocketProtocol.Tcp, IpFamily.IPv4),
        "tcp6" => (SocketProtocol.Tcp, IpFamily.IPv6),
        "udp" => (SocketProtocol.Udp, IpFamily.IPv4),
        "udp6" => (SocketProtocol.Udp, IpFamily.IPv6),
        _ => throw new ArgumentException(file),
    };

    private static InetEndpoint Endpoint(string text)
    {
        var ip = IPEndPoint.Parse(text);
        return new InetEndpoint(InetAddress.FromIPAddress(ip.Address), (ushort)ip.Port);
    }

    [Theory]
    [InlineData("tcp", 7)]
    [InlineData("tcp6", 6)]
    [InlineData("udp", 2)]
    [InlineData("udp6", 3)]
    public void RealTablesParseCompletely(string file, int rows)
    {
        var records = ParseFixture(file, out var result);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(rows, records.Count);
    }

    [Theory]
    // file, row, state, local, remote, inode, uid, rx_queue, tx_queue
    [InlineData("tcp", 0, "LISTEN", "0.0.0.0:9100", "0.0.0.0:0", 28172UL, 0U, 0U, 0U)]
    [InlineData("tcp", 1, "LISTEN", "127.0.0.1:7000", "0.0.0.0:0", 29214UL, 65534U, 0U, 0U)]
    [InlineData("tcp", 2, "LISTEN", "127.0.0.1:8080", "0.0.0.0:0", 28171UL, 0U, 0U, 0U)]
    [InlineData("tcp", 3, "TIME_WAIT", "127.0.0.1:40000", "127.0.0.1:8080", 0UL, 0U, 0U, 0U)]
    [InlineData("tcp", 4, "ESTABLISHED", "127.0.0.1:49938", "127.0.0.1:8080", 28176UL, 0U, 0U, 0U)]
    [InlineData("tcp", 5, "ESTABLISHED", "127.0.0.1:44354", "127.0.0.1:9090", 28180UL, 0U, 0U, 0U)]
    [InlineData("tcp", 6, "ESTABLISHED", "127.0.0.1:8080", "127.0.0.1:49938", 28177UL, 0U, 100U, 0U)]
    [InlineData("tcp6", 0, "LISTEN", "[::1]:8443", "[::]:0", 28174UL, 0U, 0U, 0U)]
    [InlineData("tcp6", 1, "LISTEN", "[fd00:faa5:0:100::1]:443", "[::]:0", 28173UL, 0U, 0U, 0U)]
    [InlineData("tcp6", 2, "LISTEN", "[::]:9090", "[::]:0", 28175UL, 0U, 0U, 0U)]
    [InlineData("tcp6", 3, "ESTABLISHED", "[fd00:faa5:0:100::1]:443", "[fd00:faa5:0:100::1]:49576", 28179UL, 0U, 7U, 0U)]
    [InlineData("tcp6", 4, "ESTABLISHED", "[fd00:faa5:0:100::1]:49576", "[fd00:faa5:0:100::1]:443", 28178UL, 0U, 0U, 0U)]
    [InlineData("tcp6", 5, "ESTABLISHED", "[::ffff:127.0.0.1]:9090", "[::ffff:127.0.0.1]:44354", 28181UL, 0U, 0U, 0U)]
    [InlineData("udp", 0, "ESTABLISHED", "127.0.0.1:60872", "127.0.0.53:53", 28186UL, 0U, 0U, 0U)]
    [InlineData("udp", 1, "UNCONN", "127.0.0.53:53", "0.0.0.0:0", 28185UL, 0U, 832U, 0U)]
    [InlineData("udp6", 0, "UNCONN", "[::1]:5353", "[::]:0", 28187UL, 0U, 0U, 0U)]
    [InlineData("udp6", 1, "ESTABLISHED", "[fd00:faa5:0:100::1]:5354", "[fd00:faa5:0:100::1]:53", 28188UL, 0U, 0U, 0U)]
    [InlineData("udp6", 2, "ESTABLISHED", "[::ffff:127.0.0.1]:5355", "[::ffff:127.0.0.53]:53", 28189UL, 0U, 0U, 0U)]
    public void RealRowsParseExactly(
        string file, int row, string state, string local, string remote,
        ulong inode, uint uid, uint receiveQueue, uint sendQueue)
    {
        var (protocol, family) = TableOf(file);
        Assert.True(SocketStates.TryParse(state, out var expectedState));
        var expected = new SocketRecord(
            protocol, family, expectedState, Endpoint(local), Endpoint(remote),
            BoundInterfaceIndex: 0, inode, uid, Cookie: 0, receiveQueue, sendQueue);

        var records = ParseFixture(file, out _);

        Assert.Equal(expected, records[row]);
    }

    [Fact]
    public void V4MappedPeersStayIPv6UntilNormalised()
    {
        var row = ParseFixture("tcp6", out _)[5];

        Assert.Equal(IpFamily.IPv6, row.Family);
        Assert.Equal(IpFamily.IPv6, row.Local.Address.Family);
        Assert.True(row.Local.Address.IsIPv4Mapped);
        Assert.True(row.Remote.Address.IsIPv4Mapped);
        Assert.Equal(InetAddress.Parse("127.0.0.1"), row.Remote.Address.Normalize());
    }

    [Theory]
    // Each 32-bit word is printed as a host-order (little-endian here) number.
    [InlineData("0100007F:0035", IpFamily.IPv4, "127.0.0.1:53")]
    [InlineData("3500007F:0035", IpFamily.IPv4, "127.0.0.53:53")]
    [InlineData("0101A8C0:FFFF", IpFamily.IPv4, "192.168.1.1:65535")]
    [InlineData("0101a8c0:ffff", IpFamily.IPv4, "192.168.1.1:65535")]
    [InlineData("A5FA00FD000100000000000001000000:01BB", IpFamily.IPv6, "[fd00:faa5:0:100::1]:443")]
    [InlineData("B80D0120000000000000000001000000:0050", IpFamily.IPv6, "[2001:db8::1]:80")]
    [InlineData("000080FE00000000FF000002FEFFFFFF:0001", IpFamily.IPv6, "[fe80::200:ff:ffff:fffe]:1")]
    [InlineData("0000000000000000FFFF00003500007F:0035", IpFamily.IPv6, "[::ffff:127.0.0.53]:53")]
    public void AddressesAreHostOrderWords(string endpoint, IpFamily family, string expected)
    {
        string header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        string any = family == IpFamily.IPv4 ? "00000000:0000" : "00000000000000000000000000000000:0000";
        string row = $"   0: {endpoint} {any} 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0\n";
        var sink = new List<SocketRecord>();

        var result = ProcNetSocketTable.Parse(Encoding.ASCII.GetBytes(header + row), SocketProtocol.Tcp, family, sink);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(Endpoint(expected), Assert.Single(sink).Local);
    }

    [Fact]
    public void InodesAndStatesAgreeWithSs()
    {
        // ss-tuane.txt was taken at the same moment as the tables.
        var fromSs = File.ReadAllLines(TestEnvironment.Fixture("procfs", "netns", "ss-tuane.txt"))
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => $"{f[0]} {f[1]} {f.Single(x => x.StartsWith("ino:", StringComparison.Ordinal))[4..]}")
            .Order(StringComparer.Ordinal)
            .ToList();

        var ours = new[] { "tcp", "tcp6", "udp", "udp6" }
            .SelectMany(file => ParseFixture(file, out _))
            .Select(r => $"{(r.Protocol == SocketProtocol.Tcp ? "tcp" : "udp")} {SsStateName(r)} {r.Inode}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(18, fromSs.Count);
        Assert.Equal(fromSs, ours);
    }

    internal static string SsStateName(SocketRecord record) => record.State switch
    {
        SocketState.Established => "ESTAB",
        SocketState.Close => "UNCONN",
        _ => SocketStates.Name(record.Protocol, record.State).Replace('_', '-'),
    };

    [Theory]
    // fixture, family, valid rows, malformed rows, start of the first problem
    [InlineData("tcp-bad-hex", IpFamily.IPv4, 3, 4, "line 3: local address")]
    [InlineData("tcp-missing-fields", IpFamily.IPv4, 3, 2, "line 3: fewer than 10 fields")]
    [InlineData("tcp-truncated", IpFamily.IPv4, 2, 1, "line 4: truncated")]
    [InlineData("tcp-garbage", IpFamily.IPv4, 2, 3, "line 3: fewer than 10 fields")]
    [InlineData("tcp-empty", IpFamily.IPv4, 0, 0, null)]
    [InlineData("tcp-header-only", IpFamily.IPv4, 0, 0, null)]
    [InlineData("tcp6-wrong-length", IpFamily.IPv6, 1, 2, "line 2: local address")]
    public void MalformedRowsAreCountedAndTheRestParse(
        string fixture, IpFamily family, int valid, int malformed, string? firstProblem)
    {
        var bytes = File.ReadAllBytes(TestEnvironment.Fixture("procfs", "malformed", fixture));
        var sink = new List<SocketRecord>();

        var result = ProcNetSocketTable.Parse(bytes, SocketProtocol.Tcp, family, sink);

        Assert.Equal(valid, sink.Count);
        Assert.Equal(malformed, result.Malformed);
        if (firstProblem is null) Assert.Null(result.FirstProblem);
        else Assert.StartsWith(firstProblem, result.FirstProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidRowsAroundBadOnesKeepTheirValues()
    {
        var sink = new List<SocketRecord>();

        ProcNetSocketTable.Parse(
            File.ReadAllBytes(TestEnvironment.Fixture("procfs", "malformed", "tcp-bad-hex")),
            SocketProtocol.Tcp, IpFamily.IPv4, sink);

        Assert.Equal([28171UL, 28176UL, 28185UL], sink.Select(r => r.Inode));
        Assert.Equal(1000U, sink[1].Uid);
        Assert.Equal(0x340U, sink[2].ReceiveQueue);
        Assert.Equal(0x10U, sink[2].SendQueue);
        Assert.Equal(SocketState.Close, sink[2].State);
    }

    [Fact]
    public void UnknownStateNumberIsKeptAsUnknown()
    {
        var line = "   0: 0100007F:1F90 00000000:0000 0D 00000000:00000000 00:00000000 00000000     0        0 7 1 0\n"u8;
        var sink = new List<SocketRecord>();

        var result = ProcNetSocketTable.Parse(line, SocketProtocol.Tcp, IpFamily.IPv4, sink);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(SocketState.Unknown, Assert.Single(sink).State);
    }

    [Fact]
    public void ManyRowsParseWithoutProblems()
    {
        var table = SyntheticTable(40_000);
        var sink = new List<SocketRecord>(40_000);

        var result = ProcNetSocketTable.Parse(table, SocketProtocol.Tcp, IpFamily.IPv4, sink);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(40_000, sink.Count);
        Assert.Equal(Endpoint("10.0.156.63:41023"), sink[^1].Remote);   // row 39999 = 0x9C3F
        Assert.Equal(139_999UL, sink[^1].Inode);
    }

    /// <summary>A tcp table of <paramref name="rows"/> established rows shaped like the kernel's.</summary>
    internal static byte[] SyntheticTable(int rows)
    {
        var text = new StringBuilder(rows * 150);
        text.Append("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
        for (int i = 0; i < rows; i++)
        {
            // Peer 10.0.hi.lo: the kernel prints the word as loaded on this little-endian host.
            uint printed = 10u | (uint)((i >> 8) & 0xFF) << 16 | (uint)(i & 0xFF) << 24;
            string row = $"{i,4}: 0100007F:1F90 {printed:X8}:{i % 60_000 + 1024:X4} 01 00000000:00000000 " +
                $"00:00000000 00000000  1000        0 {100_000 + i} 1 0000000000000000 20 4 30 10 -1";
            text.Append(row.PadRight(149)).Append('\n');
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
