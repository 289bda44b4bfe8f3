using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>The running exporter inside a namespace with a known socket mix, scraped for real.</summary>
public sealed class ExporterFixture : IDisposable
{
    public const int Port = 9811;

    public HostScenario Scenario { get; } = new();

    /// <summary>ss rows of the scenario, without the sockets scrapes themselves open.</summary>
    public List<SsRow> ScenarioSockets() =>
        [.. SsRow.Read(Scenario.Ns, "ipv4").Concat(SsRow.Read(Scenario.Ns, "ipv6")).Where(r => !IsScrape(r.LocalPort, r.RemotePort))];

    /// <summary>Scrapes open sockets on the exporter's ports (9811 here, 9812 in one test).</summary>
    public static bool IsScrape(int local, int remote) => local is Port or Port + 1 || remote is Port or Port + 1;
    public RunningExporter? Exporter { get; }

    public ExporterFixture()
    {
        if (Scenario.Namespace is null) return;
        // The scenario's namespace is this exporter's "host"; these tests compare it with ss there,
        // so the other namespaces of the machine (netns collector, tested in NetworkNamespaceTests) stay out.
        Exporter = new RunningExporter(Scenario.Ns, Port, "--collector.connections", "--collector.connections.include-time-wait",
            "--collector.peers.networks=tun=10.0.0.0/8", "--no-collector.netns");
    }

    public void Dispose()
    {
        Exporter?.Dispose();
        Scenario.Dispose();
    }
}

public sealed class ExporterTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>
{
    private RunningExporter Exporter => fixture.Exporter!;
    private TestNamespace Ns => fixture.Scenario.Ns;

    [RootFact]
    public void ConnSocketsEqualsSsAndIsZeroFilled()
    {
        var scrape = Exporter.Scrape();
        var samples = scrape.Where(s => s.Name == "conn_sockets").ToList();
        Assert.Equal(2 * 12 + 2 * 2, samples.Count); // tcp: 12 states × 2 families; udp: 2 × 2
        // The scrape's own HTTP sockets (and earlier scrapes' TIME_WAIT) are not the scenario's:
        // take them from the same snapshot's per-socket metric (the exporter listens on IPv4).
        var own = scrape.Where(s => s.Name == "network_connections_info"
                                    && ExporterFixture.IsScrape(int.Parse(s["source_port"]), int.Parse(s["destination_port"])))
            .GroupBy(s => (s["protocol"], "ipv4", s["state"])).ToDictionary(g => g.Key, g => g.Count());
        var truth = fixture.ScenarioSockets().GroupBy(r => (r.Protocol, r.Family, r.State)).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(own.GetValueOrDefault(("tcp", "ipv4", "ESTABLISHED")) >= 2, "the scrape's own connection is in its snapshot");
        foreach (var s in samples)
        {
            var key = (s["protocol"], s["family"], s["state"]);
            Assert.Equal(truth.GetValueOrDefault(key) + own.GetValueOrDefault(key), (int)s.Value);
        }
    }

    [RootFact]
    public void PromtoolFindsNothingToComplainAbout()
    {
        var text = Exporter.Curl("/metrics");
        var file = Path.GetTempFileName();
        File.WriteAllText(file, text);
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("sh", $"-c \"promtool check metrics < {file}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0 && output.Trim().Length == 0, $"promtool exit {p.ExitCode}: {output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [RootFact]
    public void ListenersOwnersAndUnowned()
    {
        var samples = Exporter.Scrape();
        var shared = samples.Single(s => s.Name == "conn_listeners_info" && s["port"] == "9100" && s["protocol"] == "tcp");
        Assert.Equal(("python3", "any", "0.0.0.0", "ipv4"), (shared["process"], shared["interface"], shared["address"], shared["family"]));
        var hostile = samples.Single(s => s.Name == "conn_listeners_info" && s["port"] == "9200");
        Assert.Equal(fixture.Scenario.HostileName, hostile["process"]);
        Assert.Contains(samples, s => s.Name == "conn_listeners_info" && s["protocol"] == "udp" && s["address"] == "127.0.0.53" && s["interface"] == "lo");
        Assert.True(samples.Single(s => s.Name == "conn_unowned_sockets" && s["protocol"] == "tcp" && s["state"] == "TIME_WAIT").Value >= 1);
        Assert.Contains(samples, s => s.Name == "conn_tcp_listen_backlog" && s["port"] == "8080" && s.Value == 64);
        Assert.Contains(samples, s => s.Name == "conn_tcp_listen_queue" && s["port"] == "8080" && s.Value == 0);

        // Per-process counts and unowned sockets together count every socket once.
        double perProcess = samples.Where(s => s.Name == "conn_process_sockets").Sum(s => s.Value);
        double unowned = samples.Where(s => s.Name == "conn_unowned_sockets").Sum(s => s.Value);
        double total = samples.Where(s => s.Name == "conn_sockets").Sum(s => s.Value);
        Assert.Equal(total, perProcess + unowned);
    }

    [RootFact]
    public void EbpfCollectorIsOnByDefaultAndCountsARefusedConnect()
    {
        // Port 1 is closed in the namespace: the kernel answers the SYN with RST.
        Ns.ExecArgs("curl", ["-s", "--max-time", "5", "http://127.0.0.1:1/"], check: false);
        ScrapedSample? refused = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<ScrapedSample> samples;
        do
        {
            samples = Exporter.Scrape();
            refused = samples.FirstOrDefault(s => s.Name == "conn_tcp_connects_total"
                                                  && s["process"] == "curl" && s["result"] == "refused" && s.Value >= 1);
        }
        while (refused is null && DateTime.UtcNow < deadline && Sleep());
        Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "ebpf" && s.Value == 1);
        Assert.NotNull(refused);
        Assert.Equal("ipv4", refused["family"]);
    }

    private static bool Sleep()
    {
        Thread.Sleep(200);
        return true;
    }

    [RootFact]
    public void PeersAggregateWithoutEphemeralPorts()
    {
        var peers = Exporter.Scrape().Where(s => s.Name == "conn_peers").ToList();
        Assert.Contains(peers, s => s["direction"] == "incoming" && s["port"] == "8080" && s["peer_address"] == "tun" && s.Value == 1);
        Assert.Contains(peers, s => s["direction"] == "outgoing" && s["port"] == "8080" && s["peer_address"] == "tun");
        Assert.Contains(peers, s => s["direction"] == "incoming" && s["port"] == "9000" && s["peer_address"] == "127.0.0.1");
        Assert.Contains(peers, s => s["direction"] == "outgoing" && s["port"] == "8443" && s["peer_address"] == "fd00:faa5:0:100::1");
        // No series names a port the kernel picked for a client.
        Assert.All(peers, s => Assert.True(int.Parse(s["port"]) < 32768, $"ephemeral port in {s["port"]}"));
    }

    [RootFact]
    public void SeedMetricHasOneSeriesPerSocketWithoutTimeWait()
    {
        // A second exporter with the default: TIME_WAIT excluded.
        using var defaults = new RunningExporter(Ns, ExporterFixture.Port + 1, "--collector.connections", "--no-collector.netns");
        var info = defaults.Scrape().Where(s => s.Name == "network_connections_info"
            && !ExporterFixture.IsScrape(int.Parse(s["source_port"]), int.Parse(s["destination_port"]))).ToList();
        int expected = fixture.ScenarioSockets().Count(r => r.State != "TIME_WAIT");
        Assert.Equal(expected, info.Count);
        Assert.All(info, s => Assert.Equal(1, s.Value));
        Assert.DoesNotContain(info, s => s["state"] == "TIME_WAIT");
        Assert.Contains(info, s => s["source_port"] == "8080" && s["direction"] == "incoming" && s["interface"] == "wg-faas" && s["process_name"] == "python3");
    }

    [RootFact]
    public void TcpInfoHistogramCountsEstablishedSockets()
    {
        var samples = Exporter.Scrape();
        double established = samples.Where(s => s.Name == "conn_sockets" && s["protocol"] == "tcp" && s["state"] == "ESTABLISHED").Sum(s => s.Value);
        Assert.True(established >= fixture.ScenarioSockets().Count(r => r.Protocol == "tcp" && r.State == "ESTABLISHED"));
        Assert.Equal(established, samples.Where(s => s.Name == "conn_tcp_rtt_seconds_count").Sum(s => s.Value));
        Assert.All(samples.Where(s => s.Name == "conn_tcp_rtt_seconds_bucket" && s["le"] == "+Inf"), s => Assert.True(s.Value >= 1));
    }

    [RootFact]
    public void SelfMetricsAreThere()
    {
        var samples = Exporter.Scrape();
        foreach (var collector in (string[])["inventory", "sockets", "interfaces", "listeners", "processes", "peers", "tcpinfo", "connections"])
            Assert.Equal(1, samples.Single(s => s.Name == "conn_exporter_collector_success" && s["collector"] == collector).Value);
        Assert.Single(samples, s => s.Name == "conn_exporter_build_info" && s["version"].Length > 0);
        Assert.True(samples.Single(s => s.Name == "conn_exporter_scrapes_total").Value >= 1);
        foreach (var name in (string[])["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"])
            Assert.True(samples.Single(s => s.Name == name).Value > 0, name);
    }

    [RootFact]
    public void OpenMetricsWhenAskedAndGzipWhenAccepted()
    {
        var om = Exporter.Curl("/metrics", true, "-H", "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        Assert.EndsWith("# EOF\n", om, StringComparison.Ordinal);
        Assert.Contains("# TYPE conn_exporter_scrapes counter", om, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_scrapes_total ", om, StringComparison.Ordinal);

        var headers = Exporter.Curl("/metrics", true, "-D", "-", "-o", "/dev/null", "-H", "Accept-Encoding: gzip");
        Assert.Contains("content-encoding: gzip", headers.ToLowerInvariant(), StringComparison.Ordinal);
        var plain = Exporter.Curl("/metrics", true, "--compressed");
        Assert.Contains("conn_sockets{", plain, StringComparison.Ordinal);
    }

    [RootFact]
    public void OpenMetricsOutputPassesStrictParsers()
    {
        var om = Exporter.Curl("/metrics", true, "-H", "Accept: application/openmetrics-text; version=1.0.0");
        var problems = ConnExporter.Tests.Metrics.Exposition.OpenMetricsStrictChecker.Check(om);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        // And python's prometheus_client parser (Debian python3-prometheus-client), independently.
        var result = ConnExporter.Tests.Metrics.Exposition.ExternalTool.Run("/usr/bin/python3",
            ["-c", "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(len(list(p(sys.stdin.read()))))"], om);
        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(int.Parse(result.StandardOutput.Trim()) > 10);
    }

    [RootFact]
    public void HealthEndpoints()
    {
        using var health = JsonDocument.Parse(Exporter.Curl("/health"));
        Assert.True(health.RootElement.GetProperty("ready").GetBoolean());
        Assert.True(health.RootElement.GetProperty("alive").GetBoolean());
        var collectors = health.RootElement.GetProperty("collectors");
        Assert.True(collectors.GetProperty("inventory").GetProperty("success").GetBoolean());
        Exporter.Scrape();
        using var after = JsonDocument.Parse(Exporter.Curl("/health"));
        Assert.True(after.RootElement.GetProperty("collectors").GetProperty("peers").GetProperty("success").GetBoolean());
        foreach (var path in (string[])["/readiness", "/liveness", "/-/healthy", "/-/ready"])
            Assert.Equal("200", Exporter.Curl(path, true, "-o", "/dev/null", "-w", "%{http_code}"));
        var landing = Exporter.Curl("/");
        Assert.Contains("href=\"metrics\"", landing, StringComparison.Ordinal);
        Assert.Contains("<code>peers</code>", landing, StringComparison.Ordinal);
    }
}
