using System.Globalization;
using System.Text.Json;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Tests.Infrastructure;
using static ConnExporter.Tests.Kernel.Ebpf.EbpfCollectorTests;

namespace ConnExporter.Tests.Kernel.Ebpf;

/// <summary>
/// The traffic counters with conntrack read (<c>--collector.conntrack</c>): outgoing connections
/// are counted one by one in the kernel and summed in user space with their real destination
/// from the real conntrack table. In a namespace of its own an iptables DNAT rule sends a
/// virtual address (like a Kubernetes Service VIP) to traffic_scenario.py's server on
/// 127.0.0.1. The collector reads from a thread inside that namespace, so its conntrack reads
/// are of the namespace's table (the exporter reads the host's, where kube-proxy's and Docker's
/// NAT happens). Counts are exact, as in <see cref="EbpfTrafficTests"/>.
/// </summary>
public sealed class EbpfTrafficConntrackTests
{
    private static EbpfCollector StartTracked() => Start(new EbpfOptions(Traffic: true, Conntrack: true));

    private sealed class DnatNamespace : IDisposable
    {
        public readonly TestNamespace Ns;
        public readonly string Vip;
        public readonly int Port;
        public readonly string Client;
        public readonly string Server;

        public DnatNamespace(string prefix)
        {
            int n = Random.Shared.Next(10000, 99999);
            (Client, Server, Port) = ($"{prefix}c{n}", $"{prefix}s{n}", Random.Shared.Next(20000, 60000));
            Vip = $"10.97.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}";
            Ns = new TestNamespace(prefix);
            // The VIP is assigned nowhere: a local route lets connect() leave, nat/OUTPUT rewrites it.
            TestNamespace.Ip($"-n {Ns.Name} route add local {Vip}/32 dev lo");
            Ns.ExecArgs("iptables", ["-t", "nat", "-A", "OUTPUT", "-d", Vip, "-p", "tcp", "--dport", "80",
                "-j", "DNAT", "--to-destination", $"127.0.0.1:{Port}"]);
        }

        public JsonElement Scenario(string mode, params int[] args)
        {
            var output = Ns.ExecArgs("env", [$"TRAFFIC_CONNECT={Vip}:80", "python3", TestEnvironment.Fixture("ebpf", "traffic_scenario.py"),
                mode, Client, Server, $"{Port}", .. args.Select(a => $"{a}")]);
            return JsonDocument.Parse(output.Trim()).RootElement;
        }

        /// <summary>Reads inside the namespace until <paramref name="done"/> holds, at most 5 s.</summary>
        public ConnEventCounts Until(EbpfCollector collector, Func<ConnEventCounts, bool> done) => Ns.RunInside(() =>
        {
            for (int i = 0; ; i++)
            {
                var counts = collector.Read();
                if (done(counts) || i == 100) return counts;
                Thread.Sleep(50);
            }
        });

        public void Dispose() => Ns.Dispose();
    }

    private static TrafficTotals Of(ConnEventCounts counts, string process, Direction direction) =>
        counts.Traffic.Where(t => t.Process == process && t.Direction == direction).Aggregate(default(TrafficTotals), (a, t) => a + t.Totals);

    [RootFact]
    public void Traffic_to_a_virtual_address_is_labelled_with_the_listener_the_DNAT_sent_it_to()
    {
        using var collector = StartTracked();
        Assert.True(collector.TrafficUnavailable is null, collector.TrafficUnavailable);
        using var dnat = new DnatNamespace("cxd");
        const int N = 54_321, M = 12_345;
        var seen = dnat.Scenario("transfer", N, M);
        ulong clientRetrans = seen.GetProperty("client_retrans").GetUInt64(), serverRetrans = seen.GetProperty("server_retrans").GetUInt64();

        var counts = dnat.Until(collector, c => Of(c, dnat.Client, Direction.Outgoing).ReceivedBytes >= M && Of(c, dnat.Server, Direction.Incoming).ReceivedBytes >= N);
        var outgoing = Assert.Single(counts.Traffic, t => t.Process == dnat.Client);
        Assert.Equal((dnat.Vip, (ushort)80), (outgoing.Peer.ToString(), outgoing.Port));
        Assert.Equal(new InetEndpoint(InetAddress.Parse("127.0.0.1"), (ushort)dnat.Port), outgoing.Actual);
        Assert.Equal(new TrafficTotals(N, M, clientRetrans, 0, 0), outgoing.Totals);
        // The server's side is incoming: nothing to translate, counted in the kernel's sums as before.
        var incoming = Assert.Single(counts.Traffic, t => t.Process == dnat.Server);
        Assert.Null(incoming.Actual);
        Assert.Equal(new TrafficTotals(M, N, serverRetrans, 0, 0), incoming.Totals);

        // Read again after the entry is gone from the kernel (deleted at the read after the one
        // that saw it closed): the sums stay, nothing counted twice.
        int reads = 0;
        var again = dnat.Until(collector, _ => ++reads == 3);
        Assert.Equal(outgoing.Totals, Of(again, dnat.Client, Direction.Outgoing));

        string port = dnat.Port.ToString(CultureInfo.InvariantCulture);
        var text = Render(new EbpfView(collector, null, 100, new DroppedSeries(), new EbpfView.TrafficSettings(EbpfCollectorTests.EverySeries, [], ActualDestinations: true)));
        Assert.Contains($"conn_tcp_sent_bytes_total{{process=\"{dnat.Client}\",unit=\"{outgoing.Unit}\",connection=\"outgoing\",peer_address=\"{dnat.Vip}\",port=\"80\",actual_peer_address=\"127.0.0.1\",actual_port=\"{port}\"}} {N}\n", text);
        Assert.Contains($"conn_tcp_received_bytes_total{{process=\"{dnat.Client}\",unit=\"{outgoing.Unit}\",connection=\"outgoing\",peer_address=\"{dnat.Vip}\",port=\"80\",actual_peer_address=\"127.0.0.1\",actual_port=\"{port}\"}} {M}\n", text);
        Assert.Matches($"conn_tcp_sent_bytes_total\\{{process=\"{dnat.Server}\",unit=\"[^\"]*\",connection=\"incoming\",peer_address=\"[^\"]*\",port=\"{port}\",actual_peer_address=\"\",actual_port=\"\"\\}} {M}\n", text);
    }

    /// <summary>
    /// Short connections to the virtual address open and close while another thread reads as
    /// fast as it can: each connection's kernel entry is created, read, seen closed and deleted
    /// between reads, and the sums are still exactly count × N and count × M, all of them under
    /// the real destination, and no read ever sees a counter go down.
    /// </summary>
    [RootFact]
    public void Translated_connections_closing_while_reads_run_are_counted_exactly_once_and_never_decrease()
    {
        using var collector = StartTracked();
        using var dnat = new DnatNamespace("cxy");
        const int N = 2_003, M = 5_011, Count = 120;
        var actual = new InetEndpoint(InetAddress.Parse("127.0.0.1"), (ushort)dnat.Port);

        var seen = new List<TrafficTotals>();
        using var stop = new CancellationTokenSource();
        using var reading = new ManualResetEventSlim();
        // A thread of its own, reading before the connections start: a pool thread may start late
        // on a busy test host, after every connection closed.
        var reader = new Thread(() => dnat.Ns.RunInside(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                seen.Add(Of(collector.Read(), dnat.Client, Direction.Outgoing));
                reading.Set();
            }
            return 0;
        }));
        reader.Start();
        Assert.True(reading.Wait(TimeSpan.FromSeconds(20)), "the reader never read");
        var run = dnat.Scenario("transfer", N, M, Count, 5);
        ulong clientRetrans = run.GetProperty("client_retrans").GetUInt64();
        var final = dnat.Until(collector, c => Of(c, dnat.Client, Direction.Outgoing).ReceivedBytes >= (ulong)(Count * M));
        stop.Cancel();
        reader.Join();

        var mine = final.Traffic.Where(t => t.Process == dnat.Client).ToList();
        Assert.All(mine, t => Assert.Equal(actual, t.Actual));
        Assert.Equal(new TrafficTotals((ulong)(Count * N), (ulong)(Count * M), clientRetrans, 0, 0), Of(final, dnat.Client, Direction.Outgoing));
        Assert.True(seen.Count > 20, $"only {seen.Count} reads during the run");
        int distinct = seen.Select(s => s.SentBytes).Distinct().Count();
        Assert.True(distinct > 10, $"the {seen.Count} reads saw {distinct} distinct totals: they did not interleave with the connections");
        for (int i = 1; i < seen.Count; i++)
            Assert.True(seen[i].SentBytes >= seen[i - 1].SentBytes && seen[i].ReceivedBytes >= seen[i - 1].ReceivedBytes,
                $"read {i} went down: {seen[i - 1]} then {seen[i]}");
    }

    /// <summary>
    /// An abortive close (SO_LINGER 0) of a connection to the virtual address sends its RST after
    /// the socket's CLOSE, when its final counts are in already: the reset lands on the same
    /// per-connection entry, under the real destination.
    /// </summary>
    [RootFact]
    public void A_reset_sent_after_the_close_counts_under_the_real_destination()
    {
        using var collector = StartTracked();
        using var dnat = new DnatNamespace("cxz");
        dnat.Scenario("resets");
        var counts = dnat.Until(collector, c => c.Traffic.Any(t => t.Process == dnat.Client && t.Port == 80 && t.Totals.ResetsSent >= 1));
        var reset = Assert.Single(counts.Traffic, t => t.Process == dnat.Client && t.Port == 80);
        Assert.Equal(new InetEndpoint(InetAddress.Parse("127.0.0.1"), (ushort)dnat.Port), reset.Actual);
        Assert.Equal((1UL, 0UL), (reset.Totals.ResetsSent, reset.Totals.ResetsReceived));
        // The second connect went to port+1 on 127.0.0.1 directly (nobody listens): received, untranslated.
        var refused = Assert.Single(counts.Traffic, t => t.Process == dnat.Client && t.Port == dnat.Port + 1);
        Assert.Null(refused.Actual);
        Assert.Equal(1UL, refused.Totals.ResetsReceived);
    }
}
