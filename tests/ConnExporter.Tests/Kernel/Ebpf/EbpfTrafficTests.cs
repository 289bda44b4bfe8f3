using System.Text.Json;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Tests.Infrastructure;
using static ConnExporter.Tests.Kernel.Ebpf.EbpfCollectorTests;

namespace ConnExporter.Tests.Kernel.Ebpf;

/// <summary>
/// The traffic programs on the real kernel: traffic_scenario.py moves known payloads over
/// loopback in a fresh network namespace between a client and a server process with their own
/// names, provokes retransmits with an iptables DROP window and resets with SO_LINGER 0 and a
/// closed port. Each assertion filters by those names (the maps see every namespace). The
/// counts are exact: no tolerance, since every connection here has closed and a closed
/// connection is counted from the kernel's own byte counters at its last state change.
/// Retransmits are compared with each socket's own tcpi_total_retrans, not with 0: loopback
/// retransmits too now and then (a tail loss probe when a delayed ACK is late on a busy host).
/// </summary>
public sealed class EbpfTrafficTests
{
    private static EbpfCollector StartTraffic() => Start(new EbpfOptions(Traffic: true));

    private static (string Client, string Server, int Port) Names(string prefix)
    {
        int n = Random.Shared.Next(10000, 99999);
        return ($"{prefix}c{n}", $"{prefix}s{n}", Random.Shared.Next(20000, 60000));
    }

    private static JsonElement Scenario(TestNamespace ns, string mode, string client, string server, int port, params int[] args)
    {
        var output = ns.ExecArgs("python3", [TestEnvironment.Fixture("ebpf", "traffic_scenario.py"), mode, client, server, $"{port}", .. args.Select(a => $"{a}")]);
        return JsonDocument.Parse(output.Trim()).RootElement;
    }

    /// <summary>The totals of one process name: summed over its label sets.</summary>
    private static TrafficTotals Of(ConnEventCounts counts, string process, Direction direction, int port) =>
        counts.Traffic.Where(t => t.Process == process && t.Direction == direction && t.Port == port)
            .Aggregate(default(TrafficTotals), (a, t) => a + t.Totals);

    /// <summary>Reads until <paramref name="done"/> holds (the last close is a softirq away), at most 5 s.</summary>
    private static ConnEventCounts Until(EbpfCollector collector, Func<ConnEventCounts, bool> done)
    {
        for (int i = 0; ; i++)
        {
            var counts = collector.Read();
            if (done(counts) || i == 100) return counts;
            Thread.Sleep(50);
        }
    }

    [RootFact]
    public void A_connection_that_sends_N_and_receives_M_then_closes_counts_N_and_M_for_both_ends_and_their_peers()
    {
        using var collector = StartTraffic();
        Assert.True(collector.TrafficUnavailable is null, collector.TrafficUnavailable);
        var (client, server, port) = Names("cxt");
        const int N = 123_457, M = 98_765;
        using var ns = new TestNamespace("cxt");
        var seen = Scenario(ns, "transfer", client, server, port, N, M);
        ulong clientRetrans = seen.GetProperty("client_retrans").GetUInt64(), serverRetrans = seen.GetProperty("server_retrans").GetUInt64();

        var counts = Until(collector, c => Of(c, client, Direction.Outgoing, port).ReceivedBytes >= M && Of(c, server, Direction.Incoming, port).ReceivedBytes >= N);
        var outgoing = Assert.Single(counts.Traffic, t => t.Process == client);
        Assert.Equal((Direction.Outgoing, "127.0.0.1", (ushort)port), (outgoing.Direction, outgoing.Peer.ToString(), outgoing.Port));
        Assert.Equal(new TrafficTotals((ulong)N, (ulong)M, clientRetrans, 0, 0), outgoing.Totals);
        var incoming = Assert.Single(counts.Traffic, t => t.Process == server);
        Assert.Equal((Direction.Incoming, "127.0.0.1", (ushort)port), (incoming.Direction, incoming.Peer.ToString(), incoming.Port));
        Assert.Equal(new TrafficTotals((ulong)M, (ulong)N, serverRetrans, 0, 0), incoming.Totals);

        // Nothing is counted twice later: the connection is gone, the counts stay.
        Thread.Sleep(300);
        var again = collector.Read();
        Assert.Equal(outgoing.Totals, Of(again, client, Direction.Outgoing, port));
        Assert.Equal(incoming.Totals, Of(again, server, Direction.Incoming, port));

        var text = Render(new EbpfView(collector, null, 100, new DroppedSeries(), new EbpfView.TrafficSettings(EbpfCollectorTests.EverySeries, [])));
        Assert.Contains($"conn_tcp_sent_bytes_total{{process=\"{client}\",unit=\"{outgoing.Unit}\",connection=\"outgoing\",peer_address=\"127.0.0.1\",port=\"{port}\"}} {N}\n", text);
        Assert.Contains($"conn_tcp_received_bytes_total{{process=\"{client}\",unit=\"{outgoing.Unit}\",connection=\"outgoing\",peer_address=\"127.0.0.1\",port=\"{port}\"}} {M}\n", text);
        Assert.Contains($"conn_tcp_sent_bytes_total{{process=\"{server}\",unit=\"{incoming.Unit}\",connection=\"incoming\",peer_address=\"127.0.0.1\",port=\"{port}\"}} {M}\n", text);
        Assert.Contains($"conn_tcp_received_bytes_total{{process=\"{server}\",unit=\"{incoming.Unit}\",connection=\"incoming\",peer_address=\"127.0.0.1\",port=\"{port}\"}} {N}\n", text);
        if (clientRetrans == 0) Assert.DoesNotContain($"conn_tcp_retransmits_total{{process=\"{client}\"", text);

        // A named network replaces the address, as in conn_peers.
        var named = Render(new EbpfView(collector, null, 100, new DroppedSeries(),
            new EbpfView.TrafficSettings(EbpfCollectorTests.EverySeries, NamedNetwork.ParseList(["loopback=127.0.0.0/8"], "collector.peers.networks"))));
        Assert.Contains($"conn_tcp_sent_bytes_total{{process=\"{client}\",unit=\"{outgoing.Unit}\",connection=\"outgoing\",peer_address=\"loopback\",port=\"{port}\"}} {N}\n", named);
    }

    /// <summary>
    /// Many short connections open and close while another thread reads the maps as fast as it
    /// can: every connection closes between some read and the next, and the total is still
    /// exactly count × N and count × M, and no read ever sees a counter go down.
    /// </summary>
    [RootFact]
    public void Connections_closing_while_reads_run_are_counted_exactly_once_and_counters_never_decrease()
    {
        using var collector = StartTraffic();
        var (client, server, port) = Names("cxx");
        const int N = 3_001, M = 7_919, Count = 150;
        using var ns = new TestNamespace("cxx");

        var seen = new List<(TrafficTotals Client, TrafficTotals Server)>();
        using var stop = new CancellationTokenSource();
        using var reading = new ManualResetEventSlim();
        // A thread of its own, reading before the connections start: a pool thread may start late
        // on a busy test host, after every connection closed.
        var reader = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var c = collector.Read();
                seen.Add((Of(c, client, Direction.Outgoing, port), Of(c, server, Direction.Incoming, port)));
                reading.Set();
            }
        });
        reader.Start();
        Assert.True(reading.Wait(TimeSpan.FromSeconds(20)), "the reader never read");
        var run = Scenario(ns, "transfer", client, server, port, N, M, Count, 5);
        ulong clientRetrans = run.GetProperty("client_retrans").GetUInt64(), serverRetrans = run.GetProperty("server_retrans").GetUInt64();
        var final = Until(collector, c => Of(c, client, Direction.Outgoing, port).ReceivedBytes >= (ulong)(Count * M)
            && Of(c, server, Direction.Incoming, port).ReceivedBytes >= (ulong)(Count * N));
        stop.Cancel();
        reader.Join();

        Assert.Equal(new TrafficTotals((ulong)(Count * N), (ulong)(Count * M), clientRetrans, 0, 0), Of(final, client, Direction.Outgoing, port));
        Assert.Equal(new TrafficTotals((ulong)(Count * M), (ulong)(Count * N), serverRetrans, 0, 0), Of(final, server, Direction.Incoming, port));
        Assert.True(seen.Count > 20, $"only {seen.Count} reads during the run");
        int distinct = seen.Select(s => s.Client.SentBytes).Distinct().Count();
        Assert.True(distinct > 10, $"the {seen.Count} reads saw {distinct} distinct totals: they did not interleave with the connections");
        for (int i = 1; i < seen.Count; i++)
        {
            var (a, b) = (seen[i - 1], seen[i]);
            Assert.True(NotBelow(b.Client, a.Client) && NotBelow(b.Server, a.Server), $"read {i} went down: {a} then {b}");
        }
        Assert.True(NotBelow(Of(final, client, Direction.Outgoing, port), seen[^1].Client));
    }

    private static bool NotBelow(TrafficTotals now, TrafficTotals before) =>
        now.SentBytes >= before.SentBytes && now.ReceivedBytes >= before.ReceivedBytes && now.Retransmits >= before.Retransmits
        && now.ResetsSent >= before.ResetsSent && now.ResetsReceived >= before.ResetsReceived;

    /// <summary>
    /// What an open connection shows before it closes (docs/traffic.md): a socket's send path
    /// flushes at most once a second, so the server's M bytes count at its send 1.1 s later; the
    /// client never sends again, and its M + 1 received bytes count when the server's FIN moves
    /// it to CLOSE_WAIT. Both are seen while the sockets are still open (before closed_at, on
    /// the same CLOCK_MONOTONIC), and the final flushes at close add only what is left.
    /// </summary>
    [RootFact]
    public void An_open_connection_counts_its_sends_within_a_second_and_a_finished_download_at_the_peers_FIN()
    {
        using var collector = StartTraffic();
        var (client, server, port) = Names("cxl");
        const int N = 4_099, M = 65_537, HoldMs = 3_000;
        using var ns = new TestNamespace("cxl");
        var scenario = Task.Run(() => Scenario(ns, "live", client, server, port, N, M, HoldMs));

        // Polled for up to 20 s: on a busy host the scenario's start alone can take seconds.
        long seenAt;
        ConnEventCounts live;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            live = collector.Read();
            seenAt = System.Diagnostics.Stopwatch.GetTimestamp();
            if (Of(live, client, Direction.Outgoing, port).ReceivedBytes >= M + 1 && Of(live, server, Direction.Incoming, port).SentBytes >= M) break;
            Thread.Sleep(20);
        } while (DateTime.UtcNow < deadline && !scenario.IsCompleted);
        var closedAt = scenario.Result.GetProperty("closed_at").GetDouble();
        Assert.True(seenAt / (double)System.Diagnostics.Stopwatch.Frequency < closedAt, "the counts were seen only after the connection closed");
        var (liveClient, liveServer) = (Of(live, client, Direction.Outgoing, port), Of(live, server, Direction.Incoming, port));
        Assert.Equal(((ulong)N, M + 1UL), (liveClient.SentBytes, liveClient.ReceivedBytes));
        Assert.Equal(((ulong)M, (ulong)N), (liveServer.SentBytes, liveServer.ReceivedBytes));

        var final = Until(collector, c => Of(c, server, Direction.Incoming, port).SentBytes >= M + 1);
        var (finalClient, finalServer) = (Of(final, client, Direction.Outgoing, port), Of(final, server, Direction.Incoming, port));
        Assert.Equal(((ulong)N, M + 1UL), (finalClient.SentBytes, finalClient.ReceivedBytes));
        Assert.Equal((M + 1UL, (ulong)N), (finalServer.SentBytes, finalServer.ReceivedBytes));
    }

    /// <summary>
    /// Segments dropped by an iptables rule in the namespace are retransmitted; the counter is the
    /// socket's own tcpi_total_retrans at close (what tcp_info and nstat's TcpRetransSegs count),
    /// and the payload still counts once, retransmitted or not.
    /// </summary>
    [RootFact]
    public void Segments_dropped_on_the_path_count_as_retransmits_of_the_sender_and_its_peer()
    {
        using var collector = StartTraffic();
        var (client, server, port) = Names("cxr");
        const int N = 20_000;
        using var ns = new TestNamespace("cxr");
        ulong nstatBefore = Nstat(ns, "TcpRetransSegs");
        var seen = Scenario(ns, "retransmit", client, server, port, N);
        ulong retrans = seen.GetProperty("total_retrans_at_close").GetUInt64();
        Assert.True(retrans >= 2, $"the DROP window caused {retrans} retransmits");
        // The namespace's own counter: only this connection retransmitted in it.
        Assert.Equal(nstatBefore + retrans, Nstat(ns, "TcpRetransSegs"));

        var counts = Until(collector, c => Of(c, server, Direction.Incoming, port).ReceivedBytes >= N + 1 && Of(c, client, Direction.Outgoing, port).Retransmits >= retrans);
        var mine = Of(counts, client, Direction.Outgoing, port);
        Assert.Equal(new TrafficTotals(N + 1, 0, retrans, 0, 0), mine);
        Assert.Equal(new TrafficTotals(0, N + 1, 0, 0, 0), Of(counts, server, Direction.Incoming, port));
        var text = Render(new EbpfView(collector, null, 100, new DroppedSeries(), new EbpfView.TrafficSettings(EbpfCollectorTests.EverySeries, [])));
        Assert.Matches($"conn_tcp_retransmits_total\\{{process=\"{client}\",unit=\"[^\"]*\",connection=\"outgoing\",peer_address=\"127.0.0.1\",port=\"{port}\"\\}} {retrans}\n", text);
    }

    /// <summary>
    /// An abortive close (SO_LINGER 0) sends a RST the peer receives; a connect to a port nobody
    /// listens on receives one. Each counts once, on the socket it concerns; the RST the kernel
    /// sends for the closed port belongs to no socket and is not counted (nstat's TcpOutRsts
    /// counts it: the namespace's counter grows by 2).
    /// </summary>
    [RootFact]
    public void Resets_sent_and_received_count_on_the_connections_they_end()
    {
        using var collector = StartTraffic();
        var (client, server, port) = Names("cxs");
        using var ns = new TestNamespace("cxs");
        ulong rstsBefore = Nstat(ns, "TcpOutRsts");
        Scenario(ns, "resets", client, server, port);
        Assert.Equal(rstsBefore + 2, Nstat(ns, "TcpOutRsts"));

        var counts = Until(collector, c => Of(c, server, Direction.Incoming, port).ResetsReceived >= 1 && Of(c, client, Direction.Outgoing, port + 1).ResetsReceived >= 1);
        string all = string.Join("; ", counts.Traffic.Where(t => t.Process == client || t.Process == server || t.Port == port || t.Port == port + 1));
        Assert.Equal((1UL, 0UL), (Of(counts, client, Direction.Outgoing, port).ResetsSent, Of(counts, client, Direction.Outgoing, port).ResetsReceived));
        Assert.True((0UL, 1UL) == (Of(counts, server, Direction.Incoming, port).ResetsSent, Of(counts, server, Direction.Incoming, port).ResetsReceived), all);
        Assert.True((0UL, 1UL) == (Of(counts, client, Direction.Outgoing, port + 1).ResetsSent, Of(counts, client, Direction.Outgoing, port + 1).ResetsReceived), all);

        var text = Render(new EbpfView(collector, null, 100, new DroppedSeries(), new EbpfView.TrafficSettings(EbpfCollectorTests.EverySeries, [])));
        Assert.Matches($"conn_tcp_resets_total\\{{process=\"{client}\",unit=\"[^\"]*\",connection=\"outgoing\",peer_address=\"127.0.0.1\",port=\"{port}\",direction=\"sent\"\\}} 1\n", text);
        Assert.Matches($"conn_tcp_resets_total\\{{process=\"{server}\",unit=\"[^\"]*\",connection=\"incoming\",peer_address=\"127.0.0.1\",port=\"{port}\",direction=\"received\"\\}} 1\n", text);
        Assert.Matches($"conn_tcp_resets_total\\{{process=\"{client}\",unit=\"[^\"]*\",connection=\"outgoing\",peer_address=\"127.0.0.1\",port=\"{port + 1}\",direction=\"received\"\\}} 1\n", text);
    }

    /// <summary>A counter of the namespace's own SNMP MIB (nstat -a: absolute values, -s: keep no history).</summary>
    private static ulong Nstat(TestNamespace ns, string counter)
    {
        var line = ns.ExecArgs("nstat", ["-saz", counter]).Split('\n').Single(l => l.StartsWith(counter + " ", StringComparison.Ordinal));
        return ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
