using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// The real destination behind a destination NAT, from the real kernel's conntrack table: in a
/// namespace of its own, an iptables DNAT rule sends a virtual address (10.96.0.10:80, like a
/// Kubernetes Service VIP) to a real listener on 127.0.0.1; a client connected to the VIP stays
/// open beside a client connected straight to another listener (not translated).
/// </summary>
public sealed class ConntrackTests : IClassFixture<ConntrackTests.DnatNamespace>
{
    public const string Vip = "10.96.0.10";
    public const int RealPort = 18080;
    public const int DirectPort = 18081;
    private const string Refused = "conntrack: reading the connection tracking table was refused";

    public sealed class DnatNamespace : IDisposable
    {
        public readonly TestNamespace Ns = new("cxnat");

        public DnatNamespace()
        {
            // The VIP is assigned nowhere: a local route lets connect() leave, nat/OUTPUT rewrites it.
            TestNamespace.Ip($"-n {Ns.Name} route add local {Vip}/32 dev lo");
            Ns.ExecArgs("iptables", ["-t", "nat", "-A", "OUTPUT", "-d", Vip, "-p", "tcp", "--dport", "80",
                "-j", "DNAT", "--to-destination", $"127.0.0.1:{RealPort}"]);
            var holder = Ns.Start("python3", ["-c",
                "import socket,sys\n" +
                "ls=[]\n" +
                $"for p in ({RealPort},{DirectPort}):\n" +
                "    l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); l.bind(('127.0.0.1',p)); l.listen(); ls.append(l)\n" +
                $"a=socket.create_connection(('{Vip}',80)); b=socket.create_connection(('127.0.0.1',{DirectPort}))\n" +
                "acc=[l.accept() for l in ls]\n" +
                "print('ok', flush=True); sys.stdin.read()"]);
            Assert.Equal("ok", holder.StandardOutput.ReadLine());
        }

        public void Dispose() => Ns.Dispose();
    }

    private readonly TestNamespace _ns;

    public ConntrackTests(DnatNamespace fixture) => _ns = fixture.Ns;

    /// <summary>The fixture's outgoing connection to <paramref name="remotePort"/>: the API lists
    /// every namespace's sockets, and other tests connect to port 80 of their own VIPs meanwhile.</summary>
    private static JsonElement Outgoing(JsonElement connections, int remotePort) =>
        Assert.Single(connections.EnumerateArray(), c =>
            c.GetProperty("state").GetString() == "ESTABLISHED" && c.GetProperty("remote_port").GetInt32() == remotePort
            && c.GetProperty("remote_address").GetString() is Vip or "127.0.0.1");

    [RootFact]
    public void Conn_peers_and_the_api_show_the_listener_behind_the_virtual_address()
    {
        using var exporter = new RunningExporter(_ns, 9861, "--collector.conntrack");
        var peers = exporter.Scrape().Where(s => s.Name == "conn_peers" && s["direction"] == "outgoing").ToList();

        var translated = Assert.Single(peers, s => s["port"] == "80" && s["peer_address"] == Vip);
        Assert.Equal(Vip, translated["peer_address"]);
        Assert.Equal("127.0.0.1", translated["actual_peer_address"]);
        Assert.Equal(RealPort.ToString(System.Globalization.CultureInfo.InvariantCulture), translated["actual_port"]);
        var direct = Assert.Single(peers, s => s["port"] == DirectPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("", direct["actual_peer_address"]);
        Assert.Equal("", direct["actual_port"]);
        Assert.True(direct.Labels.ContainsKey("actual_port"), "the label is written, empty, when conntrack is on");

        using var api = JsonDocument.Parse(exporter.Curl("/api/v1/connections"));
        var list = api.RootElement.ValueKind == JsonValueKind.Array ? api.RootElement : api.RootElement.GetProperty("connections");
        var viaVip = Outgoing(list, 80);
        Assert.Equal("127.0.0.1", viaVip.GetProperty("actual_remote_address").GetString());
        Assert.Equal(RealPort, viaVip.GetProperty("actual_remote_port").GetInt32());
        var straight = Outgoing(list, DirectPort);
        Assert.Equal(JsonValueKind.Null, straight.GetProperty("actual_remote_address").ValueKind);
        Assert.Equal(JsonValueKind.Null, straight.GetProperty("actual_remote_port").ValueKind);
        Assert.DoesNotContain(Refused, exporter.Stderr, StringComparison.Ordinal);
    }

    [RootFact]
    public void The_connections_command_prints_the_actual_destination()
    {
        var run = ExporterProcess.Run(_ns, "connections", "--output", "json", "--conntrack", "--netns", "host");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var viaVip = Outgoing(json.RootElement, 80);
        Assert.Equal(Vip, viaVip.GetProperty("remote_address").GetString());
        Assert.Equal("127.0.0.1", viaVip.GetProperty("actual_remote_address").GetString());
        Assert.Equal(RealPort, viaVip.GetProperty("actual_remote_port").GetInt32());
        Assert.Equal(JsonValueKind.Null, Outgoing(json.RootElement, DirectPort).GetProperty("actual_remote_port").ValueKind);

        // Without --conntrack nothing is read: the members are there, null.
        var off = ExporterProcess.Run(_ns, "connections", "--output", "json", "--netns", "host");
        using var plain = JsonDocument.Parse(off.Stdout);
        Assert.Equal(JsonValueKind.Null, Outgoing(plain.RootElement, 80).GetProperty("actual_remote_address").ValueKind);
    }

    [RootFact]
    public void Group_by_peer_splits_by_the_actual_destination()
    {
        var run = ExporterProcess.Run(_ns, "connections", "--group-by", "peer", "--output", "json", "--conntrack", "--netns", "host");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        JsonElement Group(string peer, int port) => Assert.Single(json.RootElement.EnumerateArray(), g =>
            g.GetProperty("direction").GetString() == "outgoing" && g.GetProperty("peer_address").GetString() == peer && g.GetProperty("port").GetInt32() == port);
        var viaVip = Group(Vip, 80);
        Assert.Equal("127.0.0.1", viaVip.GetProperty("actual_peer_address").GetString());
        Assert.Equal(RealPort, viaVip.GetProperty("actual_port").GetInt32());
        Assert.Equal(1, viaVip.GetProperty("connections").GetInt32());
        Assert.Equal(JsonValueKind.Null, Group("127.0.0.1", DirectPort).GetProperty("actual_port").ValueKind);

        // The table gains an Actual column, and only when something was translated.
        var table = ExporterProcess.Run(_ns, "connections", "--group-by", "peer", "--conntrack", "--netns", "host");
        var header = table.Stdout.Split('\n')[0];
        Assert.Contains("Actual", header, StringComparison.Ordinal);
        Assert.Single(table.Stdout.Split('\n'), l => l.StartsWith("outgoing", StringComparison.Ordinal)
            && l.Contains(Vip, StringComparison.Ordinal) && l.Contains($"127.0.0.1:{RealPort}", StringComparison.Ordinal));
        var plain = ExporterProcess.Run(_ns, "connections", "--group-by", "peer", "--netns", "host");
        Assert.DoesNotContain("Actual", plain.Stdout.Split('\n')[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// The exporter as users run it with the traffic counters and conntrack on: a connection
    /// made after it attached, to a second virtual port sent to a listener of the test's own,
    /// moves N bytes and closes; the traffic families carry the listener as the real destination.
    /// </summary>
    [RootFact]
    public void The_traffic_families_carry_the_real_destination_of_a_connection_to_the_virtual_address()
    {
        const int VirtualPort = 81, ListenerPort = 18082, N = 31_337;
        _ns.ExecArgs("iptables", ["-t", "nat", "-A", "OUTPUT", "-d", Vip, "-p", "tcp", "--dport", $"{VirtualPort}",
            "-j", "DNAT", "--to-destination", $"127.0.0.1:{ListenerPort}"]);
        using var exporter = new RunningExporter(_ns, 9863, "--collector.conntrack", "--collector.ebpf.traffic");
        string client = $"cxnatc{Random.Shared.Next(1000, 9999)}";
        _ns.ExecArgs("python3", ["-c",
            "import ctypes,socket\n" +
            $"ctypes.CDLL(None).prctl(15, b'{client}', 0, 0, 0)\n" +
            $"l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); l.bind(('127.0.0.1',{ListenerPort})); l.listen()\n" +
            $"c=socket.create_connection(('{Vip}',{VirtualPort})); a,_=l.accept()\n" +
            $"c.sendall(b'x'*{N}); c.shutdown(socket.SHUT_WR)\n" +
            "got=0\n" +
            "while True:\n" +
            "    b=a.recv(65536)\n" +
            "    if not b: break\n" +
            "    got+=len(b)\n" +
            $"assert got=={N}\n" +
            "a.close(); c.recv(1); c.close()"]);

        ScrapedSample? sent = null;
        for (int i = 0; i < 50 && sent is null; i++)
        {
            sent = exporter.Scrape().SingleOrDefault(s => s.Name == "conn_tcp_sent_bytes_total" && s["process"] == client && s["connection"] == "outgoing");
            if (sent is null) Thread.Sleep(100);
        }
        Assert.NotNull(sent);
        Assert.Equal((Vip, $"{VirtualPort}", "outgoing"), (sent["peer_address"], sent["port"], sent["connection"]));
        Assert.Equal(("127.0.0.1", $"{ListenerPort}"), (sent["actual_peer_address"], sent["actual_port"]));
        Assert.Equal(N, sent.Value);
    }

    [RootFact]
    public void Without_cap_net_admin_the_labels_stay_empty_and_one_warning_says_why()
    {
        using var exporter = new RunningExporter(_ns, 9862,
            wrapper: ["setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin"],
            args: ["--collector.conntrack"]);
        List<ScrapedSample> samples = [];
        for (int i = 0; i < 3; i++)
        {
            samples = exporter.Scrape();
            Thread.Sleep(50);
        }
        var translated = Assert.Single(samples, s => s.Name == "conn_peers" && s["direction"] == "outgoing" && s["port"] == "80" && s["peer_address"] == Vip);
        Assert.Equal(Vip, translated["peer_address"]);
        Assert.Equal("", translated["actual_peer_address"]);
        Assert.Equal("", translated["actual_port"]);

        // Sequential scrapes each start a collection of their own (none is in flight to join),
        // after the one readiness ran: at least four conntrack reads, one warning.
        var scrapes = samples.Single(s => s.Name == "conn_exporter_scrapes_total");
        Assert.True(scrapes.Value >= 3, $"conn_exporter_scrapes_total = {scrapes.Value}");
        var stderr = exporter.Stderr;
        int warnings = stderr.Split('\n').Count(l => l.Contains(Refused, StringComparison.Ordinal));
        Assert.True(warnings == 1, $"{warnings} conntrack warnings in:\n{stderr}");
        Assert.Contains("CAP_NET_ADMIN", stderr, StringComparison.Ordinal);
        Assert.Contains("EPERM", stderr, StringComparison.Ordinal);
    }
}
