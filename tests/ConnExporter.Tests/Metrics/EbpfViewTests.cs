using System.Buffers;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;
using ConnExporter.Tests.Inventory;

namespace ConnExporter.Tests.Metrics;

public sealed class EbpfViewTests
{
    private static readonly ProgramAttachment[] Attached = [new("sock:inet_sock_set_state", true)];
    private static readonly MapFullCount[] NoneFull = [new("conn_totals", 0), new("conn_start", 2)];

    private static ConnEventCounts Counts(
        ConnectCount[]? connects = null, ConnectLatency[]? latencies = null, AcceptCount[]? accepts = null, PidConnects[]? pids = null) =>
        new(connects ?? [], latencies ?? [], accepts ?? [], pids ?? [], Attached, 7, NoneFull);

    private static string Render(EbpfView view, ExpositionFormat format = ExpositionFormat.PrometheusText004)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, format);
        view.Write(writer);
        writer.Finish();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] Samples(string text, string prefix) =>
        text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToArray();

    [Fact]
    public void ConnectsSumCgroupsOfOneUnitAndZeroFillResultsOfSeenFamilies()
    {
        var counts = Counts(connects:
        [
            new("curl", "a.service", IpFamily.IPv4, ConnectResult.Established, 3),
            new("curl", "a.service", IpFamily.IPv4, ConnectResult.Established, 2), // a second cgroup of the same unit
            new("curl", "a.service", IpFamily.IPv4, ConnectResult.Timeout, 1),
        ]);
        var text = Render(new EbpfView(() => counts, null, false, 10, new DroppedSeries()));
        Assert.Equal(
            [
                "conn_tcp_connects_total{process=\"curl\",unit=\"a.service\",family=\"ipv4\",result=\"established\"} 5",
                "conn_tcp_connects_total{process=\"curl\",unit=\"a.service\",family=\"ipv4\",result=\"refused\"} 0",
                "conn_tcp_connects_total{process=\"curl\",unit=\"a.service\",family=\"ipv4\",result=\"timeout\"} 1",
                "conn_tcp_connects_total{process=\"curl\",unit=\"a.service\",family=\"ipv4\",result=\"reset\"} 0",
                "conn_tcp_connects_total{process=\"curl\",unit=\"a.service\",family=\"ipv4\",result=\"other\"} 0",
            ],
            Samples(text, "conn_tcp_connects_total{"));
        Assert.Contains("# TYPE conn_tcp_connects_total counter\n", text);
    }

    [Fact]
    public void HistogramIsCumulativeWithInfinityCountAndSum()
    {
        var slots = new ulong[17];
        slots[0] = 2;  // ≤ 100 µs
        slots[3] = 1;  // ≤ 1 ms
        slots[16] = 1; // > 10 s
        var counts = Counts(latencies: [new ConnectLatency("curl", "", slots, 12.5)]);
        var text = Render(new EbpfView(() => counts, null, false, 10, new DroppedSeries()));
        var lines = Samples(text, "conn_tcp_connect_duration_seconds");
        Assert.Equal("conn_tcp_connect_duration_seconds_bucket{process=\"curl\",unit=\"\",le=\"0.0001\"} 2", lines[0]);
        Assert.Equal("conn_tcp_connect_duration_seconds_bucket{process=\"curl\",unit=\"\",le=\"0.0005\"} 2", lines[2]);
        Assert.Equal("conn_tcp_connect_duration_seconds_bucket{process=\"curl\",unit=\"\",le=\"0.001\"} 3", lines[3]);
        Assert.Equal("conn_tcp_connect_duration_seconds_bucket{process=\"curl\",unit=\"\",le=\"10\"} 3", lines[15]);
        Assert.Equal("conn_tcp_connect_duration_seconds_bucket{process=\"curl\",unit=\"\",le=\"+Inf\"} 4", lines[16]);
        Assert.Equal("conn_tcp_connect_duration_seconds_sum{process=\"curl\",unit=\"\"} 12.5", lines[17]);
        Assert.Equal("conn_tcp_connect_duration_seconds_count{process=\"curl\",unit=\"\"} 4", lines[18]);
    }

    [Fact]
    public void CapFoldsTheLightestProcessesIntoOtherAndCountsThem()
    {
        var dropped = new DroppedSeries();
        var counts = Counts(connects:
        [
            new("heavy", "", IpFamily.IPv4, ConnectResult.Established, 100),
            new("light1", "", IpFamily.IPv4, ConnectResult.Refused, 1),
            new("light2", "", IpFamily.IPv4, ConnectResult.Refused, 2),
        ]);
        var text = Render(new EbpfView(() => counts, null, false, 2, dropped));
        Assert.Contains("conn_tcp_connects_total{process=\"heavy\",unit=\"\",family=\"ipv4\",result=\"established\"} 100\n", text);
        Assert.Contains("conn_tcp_connects_total{process=\"other\",unit=\"other\",family=\"ipv4\",result=\"refused\"} 3\n", text);
        Assert.DoesNotContain("light", text);
        Assert.Equal(2, dropped.Get(EbpfView.Connects));
    }

    [Fact]
    public void ACappedLabelSetKeepsItsPlaceWhenAnotherOvertakesIt()
    {
        // Per-scrape heaviest-first would move "a" into other when "b" overtakes it: a's series
        // would vanish and other would jump by a's whole count, a rate spike nobody caused.
        var dropped = new DroppedSeries();
        ConnEventCounts current = Counts(connects:
        [
            new("a", "", IpFamily.IPv4, ConnectResult.Established, 10),
            new("b", "", IpFamily.IPv4, ConnectResult.Established, 5),
        ]);
        var view = new EbpfView(() => current, null, false, 2, dropped);
        const string A = "conn_tcp_connects_total{process=\"a\",unit=\"\",family=\"ipv4\",result=\"established\"} ";
        const string Other = "conn_tcp_connects_total{process=\"other\",unit=\"other\",family=\"ipv4\",result=\"established\"} ";
        var first = Render(view);
        Assert.Contains(A + "10\n", first);
        Assert.Contains(Other + "5\n", first);

        current = Counts(connects:
        [
            new("a", "", IpFamily.IPv4, ConnectResult.Established, 11),
            new("b", "", IpFamily.IPv4, ConnectResult.Established, 500),
        ]);
        var second = Render(view);
        Assert.Contains(A + "11\n", second);
        Assert.Contains(Other + "500\n", second);
        Assert.DoesNotContain("process=\"b\"", second);
    }

    [Fact]
    public void AcceptsArePerPortAndUnit()
    {
        var counts = Counts(accepts: [new(443, "nginx.service", 4), new(443, "nginx.service", 1), new(22, "ssh.service", 2)]);
        var text = Render(new EbpfView(() => counts, null, false, 10, new DroppedSeries()));
        Assert.Equal(
            [
                "conn_tcp_accepts_total{port=\"22\",unit=\"ssh.service\"} 2",
                "conn_tcp_accepts_total{port=\"443\",unit=\"nginx.service\"} 5",
            ],
            Samples(text, "conn_tcp_accepts_total{"));
    }

    [Fact]
    public void PerPidSeriesOnlyWhenEnabled()
    {
        var counts = Counts(pids: [new(1234, "curl", 5)]);
        Assert.DoesNotContain("tcp_connects_by_pid", Render(new EbpfView(() => counts, null, false, 10, new DroppedSeries())));
        var text = Render(new EbpfView(() => counts, null, true, 10, new DroppedSeries()));
        Assert.Contains("# TYPE tcp_connects_by_pid gauge\n", text);
        Assert.Contains("tcp_connects_by_pid{comm=\"curl\",pid=\"1234\"} 5\n", text);
    }

    [Fact]
    public void HealthFamiliesAreAlwaysWritten()
    {
        var text = Render(new EbpfView(() => Counts(), null, false, 10, new DroppedSeries()));
        Assert.Contains("conn_exporter_ebpf_attached{program=\"sock:inet_sock_set_state\"} 1\n", text);
        Assert.Contains("conn_exporter_ebpf_events_lost_total 7\n", text);
        Assert.Contains("conn_exporter_ebpf_map_full_total{map=\"conn_start\"} 2\n", text);
        Assert.Contains("conn_exporter_ebpf_map_full_total{map=\"conn_totals\"} 0\n", text);
    }

    [Fact]
    public void OpenMetricsOutputKeepsCounterSuffixOnSamples()
    {
        var counts = Counts(connects: [new("a", "", IpFamily.IPv6, ConnectResult.Reset, 1)], accepts: [new(80, "", 1)]);
        var text = Render(new EbpfView(() => counts, null, false, 10, new DroppedSeries()), ExpositionFormat.OpenMetrics100);
        Assert.Contains("# TYPE conn_tcp_connects counter\n", text);
        Assert.Contains("conn_tcp_connects_total{process=\"a\",unit=\"\",family=\"ipv6\",result=\"reset\"} 1\n", text);
        Assert.EndsWith("# EOF\n", text);
    }

    [Fact]
    public void UnavailableCollectorFailsItsScrapeOnlyWithTheReason()
    {
        var view = new EbpfView((EbpfCollector?)null, "missing CAP_BPF", 10, new DroppedSeries());
        var e = Assert.Throws<EbpfUnavailableException>(() => Render(view));
        Assert.Equal("missing CAP_BPF", e.Message);
    }

    [Fact]
    public void RendererReportsCollectorSuccessZeroWhenOff()
    {
        var dropped = new DroppedSeries();
        var view = new EbpfView((EbpfCollector?)null, "missing CAP_BPF", 10, dropped);
        var renderer = new ScrapeRenderer([view], dropped, null, new ListLogger());
        var snapshot = new Snapshot([], new SnapshotStats("netlink", 0, 0, 0, false, 0), DateTimeOffset.UnixEpoch);
        var buffer = new ArrayBufferWriter<byte>();
        renderer.Render(new CollectionResult(snapshot, null, TimeSpan.Zero, DateTimeOffset.UnixEpoch), buffer, ExpositionFormat.PrometheusText004);
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains("conn_exporter_collector_success{collector=\"ebpf\"} 0\n", text);
        Assert.Contains("conn_exporter_collector_success{collector=\"inventory\"} 1\n", text);
        Assert.DoesNotContain("conn_tcp_connects_total", text); // neither samples nor a dropped-series counter
    }
}
