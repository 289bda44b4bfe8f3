using ConnExporter.Inventory;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.ProcFs;

public sealed class ProcNetSourceTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("procnet-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string FixtureDirectory => Path.GetDirectoryName(TestEnvironment.Fixture("procfs", "netns", "tcp"))!;

    [Theory]
    [InlineData(SocketKinds.All, 18)]
    [InlineData(SocketKinds.Tcp, 13)]
    [InlineData(SocketKinds.Tcp4, 7)]
    [InlineData(SocketKinds.Tcp6, 6)]
    [InlineData(SocketKinds.Udp, 5)]
    [InlineData(SocketKinds.Udp4 | SocketKinds.Tcp6, 8)]
    [InlineData(SocketKinds.None, 0)]
    public void ReadsOnlyTheRequestedTables(SocketKinds kinds, int expected)
    {
        var sink = new List<SocketRecord>();

        var result = new ProcNetSource(FixtureDirectory).Read(kinds, sink);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(expected, sink.Count);
        Assert.All(sink, r => Assert.True(kinds.HasFlag(KindOf(r))));
    }

    private static SocketKinds KindOf(SocketRecord r) => (r.Protocol, r.Family) switch
    {
        (SocketProtocol.Tcp, IpFamily.IPv4) => SocketKinds.Tcp4,
        (SocketProtocol.Tcp, IpFamily.IPv6) => SocketKinds.Tcp6,
        (SocketProtocol.Udp, IpFamily.IPv4) => SocketKinds.Udp4,
        _ => SocketKinds.Udp6,
    };

    [Fact]
    public void HasNoTcpInfoButKeepsATcpListInStep()
    {
        var sink = new List<SocketRecord>();
        // A list that held tcp_info before and was emptied keeps the old values in its array:
        // none of them may show through as the tcp_info of a procfs socket.
        var stale = new TcpHealth(1, 2, 3, 4, 5, 6, 7);
        var tcp = new List<TcpHealth?>(Enumerable.Repeat<TcpHealth?>(stale, 64));
        tcp.RemoveRange(1, 63);

        new ProcNetSource(FixtureDirectory).Read(SocketKinds.All, sink, tcp);

        Assert.Equal(18, sink.Count);
        Assert.Equal(1 + sink.Count, tcp.Count);
        Assert.Equal(stale, tcp[0]);
        Assert.All(tcp.Skip(1), t => Assert.Null(t));
    }

    [Fact]
    public void NameIsTheCollectorSourceValue() => Assert.Equal("procfs", new ProcNetSource(_scratch).Name);

    [Fact]
    public void MissingIPv6TablesYieldNothing()
    {
        // IPv6 disabled: the kernel has no tcp6/udp6 files.
        File.Copy(Path.Combine(FixtureDirectory, "tcp"), Path.Combine(_scratch, "tcp"));
        File.Copy(Path.Combine(FixtureDirectory, "udp"), Path.Combine(_scratch, "udp"));
        var sink = new List<SocketRecord>();

        var result = new ProcNetSource(_scratch).Read(SocketKinds.All, sink);

        Assert.Equal(SourceReadResult.Clean, result);
        Assert.Equal(9, sink.Count);
        Assert.All(sink, r => Assert.Equal(IpFamily.IPv4, r.Family));
    }

    [Fact]
    public void MissingDirectoryIsUnavailableWithPathAndFix()
    {
        string missing = Path.Combine(_scratch, "no-such-net");

        var e = Assert.Throws<SocketSourceUnavailableException>(
            () => new ProcNetSource(missing).Read(SocketKinds.Tcp, []));

        Assert.Equal(2, e.Errno); // ENOENT
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("--collector.source=netlink", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedRowsAreCountedWithThePath()
    {
        File.Copy(TestEnvironment.Fixture("procfs", "malformed", "tcp-bad-hex"), Path.Combine(_scratch, "tcp"));
        File.Copy(TestEnvironment.Fixture("procfs", "malformed", "tcp-truncated"), Path.Combine(_scratch, "udp"));
        var sink = new List<SocketRecord>();

        var result = new ProcNetSource(_scratch).Read(SocketKinds.All, sink);

        Assert.Equal(5, result.Malformed);
        Assert.StartsWith($"{Path.Combine(_scratch, "tcp")} line 3: local address", result.FirstProblem, StringComparison.Ordinal);
        Assert.Equal(5, sink.Count);
        Assert.Equal(3, sink.Count(r => r.Protocol == SocketProtocol.Tcp));
    }

    [Fact]
    public void LargeTablesGrowTheBufferAndReadToTheEnd()
    {
        // ~6 MB: far beyond the first rented buffer, so the read grows it several times.
        File.WriteAllBytes(Path.Combine(_scratch, "tcp"), ProcNetSocketTableTests.SyntheticTable(40_000));
        var source = new ProcNetSource(_scratch);

        for (int pass = 0; pass < 2; pass++)
        {
            var sink = new List<SocketRecord>();
            var result = source.Read(SocketKinds.Tcp4, sink);

            Assert.Equal(SourceReadResult.Clean, result);
            Assert.Equal(40_000, sink.Count);
            Assert.Equal(139_999UL, sink[^1].Inode);
        }
    }

    [Fact]
    public void ReadsTheLiveProcNetOfThisProcess()
    {
        // procfs reports st_size 0: only reading until EOF finds the rows.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var sink = new List<SocketRecord>();

            var result = new ProcNetSource().Read(SocketKinds.Tcp4, sink);

            Assert.Equal(0, result.Malformed);
            var row = Assert.Single(sink, r => r.State == SocketState.Listen && r.Local.Port == port);
            Assert.Equal(InetAddress.Parse("127.0.0.1"), row.Local.Address);
            Assert.NotEqual(0UL, row.Inode);
            Assert.Equal(GetUid(), row.Uid);
        }
        finally
        {
            listener.Stop();
        }
    }

    private static uint GetUid() => uint.Parse(
        File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
}
