using System.Text.Json;
using ConnExporter.Inventory;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// The real exporter and the real <c>connections</c> command pointed (<c>--path.procfs</c>) at a
/// procfs full of garbage (<see cref="GarbageProcfs"/>): nothing throws, scrapes answer 200
/// with valid text, every bad row is counted, and the valid rows among them are still reported
/// with their owners.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GarbageProcfsTests : IClassFixture<GarbageProcfsTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public GarbageProcfs Procfs { get; } = new();

        public void Dispose() => Procfs.Dispose();
    }

    private readonly GarbageProcfs _procfs;

    public GarbageProcfsTests(Fixture fixture) => _procfs = fixture.Procfs;

    [RootFact]
    public void TheExporterCountsEveryBadRowAndReportsTheGoodOnes()
    {
        using var ns = new TestNamespace("cxgp");
        using var exporter = new RunningExporter(ns, 9833, "--collector.source=procfs", $"--path.procfs={_procfs.Root}",
            "--no-collector.ebpf", "--collector.connections");

        var first = ValidScrape.Of(exporter);
        var second = ValidScrape.Of(exporter);
        Assert.False(exporter.HasExited, exporter.Stderr);

        // Counted once per collection; each scrape here is one collection.
        double malformed1 = Malformed(first), malformed2 = Malformed(second);
        Assert.Equal(_procfs.ExpectedMalformed, malformed2 - malformed1);
        Assert.True(malformed1 >= _procfs.ExpectedMalformed && malformed1 % _procfs.ExpectedMalformed == 0,
            $"malformed {malformed1} is not a multiple of {_procfs.ExpectedMalformed}");

        foreach (var s in (string[])["inventory", "sockets", "interfaces", "listeners", "processes", "peers", "connections"])
            Assert.Equal(1, ValidScrape.Success(second, s));

        // The four valid rows, and nothing made up from the garbage.
        Assert.Equal(1, Sockets(second, "tcp", "ipv4", "LISTEN"));
        Assert.Equal(1, Sockets(second, "tcp", "ipv4", "ESTABLISHED"));
        Assert.Equal(1, Sockets(second, "tcp", "ipv6", "LISTEN"));
        Assert.Equal(1, Sockets(second, "udp", "ipv6", "UNCONN"));
        Assert.Equal(4, second.Where(s => s.Name == "conn_sockets").Sum(s => s.Value));

        // Owners: the NUL-and-parenthesis comm survives escaping; a garbage stat means no owner.
        Assert.Equal(2, second.Where(s => s.Name == "conn_process_sockets" && s["process"] == GarbageProcfs.EvilComm).Sum(s => s.Value));
        Assert.Equal(1, second.Where(s => s.Name == "conn_process_sockets" && s["process"] == GarbageProcfs.HugeCgroupComm).Sum(s => s.Value));
        Assert.Equal(1, second.Where(s => s.Name == "conn_unowned_sockets").Sum(s => s.Value));
        var listener = Assert.Single(second, s => s.Name == "conn_listeners_info" && s["port"] == "8080");
        Assert.Equal(GarbageProcfs.EvilComm, listener["process"]);

        // Logged as skipped rows (one warning per collection), never as an exception.
        Assert.Contains("malformed socket records", exporter.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", exporter.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("failed", exporter.Stderr, StringComparison.Ordinal);
    }

    [RootFact]
    public void TheConnectionsCommandPrintsTheGoodRowsAndOneLineForTheBad()
    {
        var result = ExporterProcess.Run(null, "connections", "--output=json", "--collector.source=procfs",
            $"--path.procfs={_procfs.Root}", "--netns=host");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(
            [GarbageProcfs.ListenInode, GarbageProcfs.EstablishedInode, GarbageProcfs.Listen6Inode, GarbageProcfs.Udp6Inode],
            rows.Select(r => r.GetProperty("inode").GetUInt64()).Order());
        var owned = rows.Single(r => r.GetProperty("inode").GetUInt64() == GarbageProcfs.ListenInode);
        var owner = Assert.Single(owned.GetProperty("processes").EnumerateArray());
        Assert.Equal(GarbageProcfs.EvilPid, owner.GetProperty("pid").GetInt32());
        Assert.Equal(GarbageProcfs.EvilComm, owner.GetProperty("name").GetString());
        Assert.Empty(rows.Single(r => r.GetProperty("inode").GetUInt64() == GarbageProcfs.Listen6Inode).GetProperty("processes").EnumerateArray());

        var warning = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"skipped {_procfs.ExpectedMalformed} malformed socket records", warning, StringComparison.Ordinal);
    }

    /// <summary>
    /// The 10 MB line costs one pooled read buffer, not a string per line: once the pool holds a
    /// buffer that large, reading every table again allocates next to nothing (a UTF-16 string
    /// of that line alone would be 20 MB).
    /// </summary>
    [Fact]
    public void TheTenMegabyteLineIsNotCopiedPerLine()
    {
        var source = new ProcNetSource(Path.Combine(_procfs.Root, "net"));
        var sink = new List<SocketRecord>(16);
        var warm = source.Read(SocketKinds.All, sink);
        Assert.Equal(_procfs.ExpectedMalformed, warm.Malformed);
        Assert.Equal(4, sink.Count);

        sink.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var again = source.Read(SocketKinds.All, sink);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(_procfs.ExpectedMalformed, again.Malformed);
        Assert.True(allocated < 256 * 1024, $"reading the garbage tables allocated {allocated} bytes");
    }

    private static double Malformed(IEnumerable<ScrapedSample> samples) =>
        samples.Single(s => s.Name == "conn_exporter_malformed_records_total").Value;

    private static double Sockets(IEnumerable<ScrapedSample> samples, string protocol, string family, string state) =>
        samples.Single(s => s.Name == "conn_sockets" && s["protocol"] == protocol && s["family"] == family && s["state"] == state).Value;
}
