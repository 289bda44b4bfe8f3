using System.Buffers;
using System.Diagnostics;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Inventory;

namespace ConnExporter.Tests.Kernel.Ebpf;

/// <summary>
/// The real programs on the real kernel: a child process with a distinctive name, in its own
/// cgroup, connects inside a fresh network namespace. The maps see every namespace, so every
/// assertion filters by that name, its unit and its port.
/// </summary>
public sealed class EbpfCollectorTests
{
    internal const int Established = 5;
    internal const int Refused = 3;
    internal const int Timeouts = 2;
    internal const int IPv6Established = 2; // fixed in connect_scenario.py

    [RootFact]
    public void CountsConnectOutcomesLatencyAndAcceptsPerProcessAndUnit()
    {
        using var collector = Start(new EbpfOptions(PerPid: true));

        int port = Random.Shared.Next(20000, 60000);
        string cgroup = NewScope("cxe", out string comm, out string unit);
        try
        {
            using var ns = new TestNamespace("cxe");
            var child = RunScenario(ns, cgroup, comm, port, out int pid);

            var live = Settled(collector, comm, port);
            AssertTotals(live, comm, unit, port);
            var perPid = Assert.Single(live.Pids, p => p.Comm == comm);
            Assert.Equal(1, collector.KernelPidEntriesOf(comm));
            Assert.Equal(pid, perPid.Pid);
            Assert.Equal((ulong)(Established + IPv6Established + Refused + Timeouts), perPid.Count);
            Assert.Contains(live.Programs, p => p.Program == "sock:inet_sock_set_state" && p.Attached);

            child.StandardInput.WriteLine("exit");
            Assert.True(child.WaitForExit(10000));
            Assert.Equal(0, child.ExitCode);

            // The process is gone: totals stay, the per-pid series goes.
            var after = collector.Read();
            AssertTotals(after, comm, unit, port);
            Assert.DoesNotContain(after.Pids, p => p.Comm == comm || p.Pid == pid);

            var text = Render(new EbpfView(collector, null, 100, new DroppedSeries()));
            Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{unit}\",family=\"ipv4\",result=\"refused\"}} {Refused}\n", text);
            Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{unit}\",family=\"ipv4\",result=\"timeout\"}} {Timeouts}\n", text);
            Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{unit}\",family=\"ipv6\",result=\"established\"}} {IPv6Established}\n", text);
            Assert.Contains($"conn_tcp_connect_duration_seconds_count{{process=\"{comm}\",unit=\"{unit}\"}} {Established + IPv6Established}\n", text);
            Assert.Contains($"conn_tcp_accepts_total{{port=\"{port}\",unit=\"{unit}\"}} {Established + IPv6Established}\n", text);
            Assert.Contains("conn_exporter_ebpf_attached{program=\"sock:inet_sock_set_state\"} 1\n", text);
        }
        finally
        {
            DeleteCgroup(cgroup);
        }
    }

    /// <summary>
    /// Every transient unit, session and container gets a new cgroup id, so entries of cgroups
    /// that are gone must leave the kernel maps or the maps fill up on a long-running host; their
    /// counts move to user space, so the exported totals do not change.
    /// </summary>
    [RootFact]
    public void RetiresTheEntriesOfACgroupThatIsGoneAndKeepsItsTotals()
    {
        using var collector = Start(new EbpfOptions { RetireInterval = TimeSpan.Zero });

        int port = Random.Shared.Next(20000, 60000);
        string cgroup = NewScope("cxr", out string comm, out string unit);
        try
        {
            using var ns = new TestNamespace("cxr");
            var child = RunScenario(ns, cgroup, comm, port, out _);

            // Every read is a retirement pass here: while the cgroup lives, nothing of it goes.
            var live = Settled(collector, comm, port);
            AssertTotals(live, comm, unit, port);
            collector.Read();
            collector.Read();
            // 4 connect keys (ipv4 established, refused, timeout; ipv6 established) + 1 latency key.
            Assert.Equal(5, collector.KernelEntriesOf(comm));
            ulong retiredBefore = RetiredTotal(collector.Read());

            child.StandardInput.WriteLine("exit");
            Assert.True(child.WaitForExit(10000));
            DeleteCgroup(cgroup);
            Assert.False(Directory.Exists(cgroup), "the cgroup could not be removed");

            // The first pass after the cgroup went misses it once, the second retires it.
            var first = collector.Read();
            AssertTotals(first, comm, unit, port);
            var second = collector.Read();
            Assert.Equal(0, collector.KernelEntriesOf(comm));
            Assert.True(RetiredTotal(second) >= retiredBefore + 5, $"retired {RetiredTotal(second)} entries, {retiredBefore} before");
            AssertTotals(second, comm, unit, port);
            AssertTotals(collector.Read(), comm, unit, port);

            var text = Render(new EbpfView(collector, null, 100, new DroppedSeries()));
            Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{unit}\",family=\"ipv4\",result=\"refused\"}} {Refused}\n", text);
            Assert.Matches(@"conn_exporter_ebpf_map_entries_retired_total\{map=""conn_totals""\} [1-9]", text);
        }
        finally
        {
            DeleteCgroup(cgroup);
        }
    }

    /// <summary>
    /// A unit that starts, connects and ends between two scrapes (a timer's service, a short
    /// systemd-run) is gone from the cgroup mount by the time its counts are read: the program
    /// recorded its cgroup's name at the first connect, so the counts still carry the unit.
    /// Without --collector.ebpf.per-pid the program keeps no per-process entries at all.
    /// </summary>
    [RootFact]
    public void NamesTheUnitOfACgroupThatCameAndWentBetweenTwoReads()
    {
        using var collector = Start(new EbpfOptions());

        int port = Random.Shared.Next(20000, 60000);
        string cgroup = NewScope("cxn", out string comm, out string unit);
        try
        {
            using var ns = new TestNamespace("cxn");
            var child = RunScenario(ns, cgroup, comm, port, out _);
            child.StandardInput.WriteLine("exit");
            Assert.True(child.WaitForExit(10000));
            DeleteCgroup(cgroup);
            Assert.False(Directory.Exists(cgroup), "the cgroup could not be removed");

            // The first read walks the mount, which no longer has the cgroup.
            var counts = Settled(collector, comm, port);
            AssertTotals(counts, comm, unit, port);
            Assert.Equal(0, collector.KernelPidEntriesOf(comm));
            Assert.Empty(counts.Pids);
        }
        finally
        {
            DeleteCgroup(cgroup);
        }
    }

    /// <summary>A traffic cap no test reaches: the maps count every namespace's traffic, so while
    /// other tests run in parallel a small cap would fold a test's own label set into "other".</summary>
    internal const int EverySeries = 1_000_000;

    internal static EbpfCollector Start(EbpfOptions options)
    {
        var collector = EbpfCollector.TryStart(new ListLogger(), options, out var reason);
        Assert.True(collector is not null, $"collector did not start: {reason}");
        return collector;
    }

    /// <summary>A new cgroup named like a systemd scope for a process named <paramref name="comm"/>.</summary>
    private static string NewScope(string prefix, out string comm, out string unit)
    {
        var units = new CgroupUnits();
        Assert.NotNull(units.Root);
        comm = $"{prefix}{Random.Shared.Next(100000, 999999)}";
        unit = $"{comm}.scope";
        string cgroup = Path.Combine(units.Root!, unit);
        Directory.CreateDirectory(cgroup);
        return cgroup;
    }

    /// <summary>
    /// Starts connect_scenario.py in <paramref name="ns"/>, moves it into <paramref name="cgroup"/>
    /// before it connects, and waits until every connect has returned. The child then waits
    /// for "exit" on its stdin.
    /// </summary>
    internal static Process RunScenario(TestNamespace ns, string cgroup, string comm, int port, out int pid)
    {
        string peer = ns.TunIPv4[..^1] + "2"; // 10.n.0.2: on the tun's subnet, nobody answers
        var child = ns.Start("python3",
            [TestEnvironment.Fixture("ebpf", "connect_scenario.py"), comm, $"{port}", peer, $"{Established}", $"{Refused}", $"{Timeouts}"]);
        pid = int.Parse(ReadLine(child));
        File.WriteAllText(Path.Combine(cgroup, "cgroup.procs"), $"{pid}");
        child.StandardInput.WriteLine("go");
        Assert.Equal("done", ReadLine(child));
        return child;
    }

    private static ulong RetiredTotal(ConnEventCounts counts) =>
        (ulong)counts.Retired.Where(r => r.Map is "conn_totals" or "conn_latency").Sum(r => (decimal)r.Count);

    /// <summary>
    /// The scenario can see a failed connect's error a moment before the kernel changes the
    /// socket's state (tcp_done_with_error writes sk_err, then calls tcp_done on another CPU
    /// than the one polling), and a loopback server completes its handshake in a softirq that may
    /// run after the client's connect() returned; so wait until every event has been counted.
    /// </summary>
    internal static ConnEventCounts Settled(EbpfCollector collector, string comm, int port)
    {
        const int Expected = Established + Refused + Timeouts + IPv6Established;
        for (int i = 0; ; i++)
        {
            var counts = collector.Read();
            decimal seen = counts.Connects.Where(c => c.Process == comm).Sum(c => (decimal)c.Count);
            decimal accepted = counts.Accepts.Where(a => a.Port == port).Sum(a => (decimal)a.Count);
            if ((seen >= Expected && accepted >= Established + IPv6Established) || i == 100) return counts;
            Thread.Sleep(50);
        }
    }

    internal static void AssertTotals(ConnEventCounts counts, string comm, string unit, int port)
    {
        var mine = counts.Connects.Where(c => c.Process == comm).ToList();
        Assert.All(mine, c => Assert.Equal(unit, c.Unit));
        string seen = string.Join("; ", mine.Select(c => $"{c.Family}/{c.Result}={c.Count}")) + $"; lost={counts.EventsLost}";
        ulong Count(IpFamily family, ConnectResult result) =>
            (ulong)mine.Where(c => c.Family == family && c.Result == result).Sum(c => (decimal)c.Count);
        Assert.True((ulong)Established == Count(IpFamily.IPv4, ConnectResult.Established), seen);
        Assert.True((ulong)Refused == Count(IpFamily.IPv4, ConnectResult.Refused), seen);
        Assert.True((ulong)Timeouts == Count(IpFamily.IPv4, ConnectResult.Timeout), seen);
        Assert.True((ulong)IPv6Established == Count(IpFamily.IPv6, ConnectResult.Established), seen);
        Assert.True((ulong)(Established + Refused + Timeouts + IPv6Established) == (ulong)mine.Sum(c => (decimal)c.Count), seen);

        var latency = Assert.Single(counts.Latencies, l => l.Process == comm);
        Assert.Equal(unit, latency.Unit);
        Assert.Equal((ulong)(Established + IPv6Established), (ulong)latency.Slots.Sum(s => (decimal)s));
        Assert.True(latency.SumSeconds > 0);

        var accepts = counts.Accepts.Where(a => a.Port == port && a.Unit == unit).ToList();
        Assert.Equal((ulong)(Established + IPv6Established), (ulong)accepts.Sum(a => (decimal)a.Count));
    }

    internal static string ReadLine(Process child)
    {
        var line = child.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
            throw new InvalidOperationException($"scenario gave no line: {child.StandardError.ReadToEnd()}");
        return line.Result.Trim();
    }

    internal static string Render(EbpfView view)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, ExpositionFormat.PrometheusText004);
        view.Write(writer);
        writer.Finish();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static void DeleteCgroup(string path)
    {
        // rmdir succeeds once the last process has left; the child may still be exiting.
        for (int i = 0; i < 50 && Directory.Exists(path); i++)
        {
            try
            {
                Directory.Delete(path);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
