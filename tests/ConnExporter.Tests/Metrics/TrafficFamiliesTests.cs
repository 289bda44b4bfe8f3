using System.Buffers;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics;

/// <summary>The traffic families' labels, peer folding and sticky cap, from scripted map reads.</summary>
public sealed class TrafficFamiliesTests
{
    private static readonly InetAddress Db = InetAddress.FromIPAddress(System.Net.IPAddress.Parse("10.1.2.3"));
    private static readonly InetAddress Client = InetAddress.FromIPAddress(System.Net.IPAddress.Parse("192.168.7.9"));

    private static TrafficCount Outgoing(string process, InetAddress peer, ushort port, ulong sent, ulong received, ulong retrans = 0, ContainerIdentity? container = null) =>
        new(process, "app.service", container, Direction.Outgoing, peer, port, new TrafficTotals(sent, received, retrans, 0, 0));

    private static string Render(TrafficFamilies families, params TrafficCount[] traffic)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, ExpositionFormat.PrometheusText004);
        families.Write(traffic, writer);
        writer.Finish();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] Samples(string text, string family) =>
        text.Split('\n').Where(l => l.StartsWith(family + "{", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Labels_say_owner_connection_direction_peer_and_service_port_and_sum_cgroups_of_one_label_set()
    {
        var app = new ContainerIdentity(new string('a', 64), "api", "api-7f", "shop");
        var text = Render(new TrafficFamilies(100, [], new DroppedSeries()),
            Outgoing("curl", Db, 5432, 100, 2000, retrans: 3),
            Outgoing("curl", Db, 5432, 50, 0), // a second cgroup of the same unit
            new("nginx", "nginx.service", app, Direction.Incoming, Client, 443, new TrafficTotals(9000, 700, 0, 1, 2)));
        Assert.Equal(
            [
                "conn_tcp_sent_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"5432\"} 150",
                "conn_tcp_sent_bytes_total{process=\"nginx\",unit=\"nginx.service\",connection=\"incoming\",peer_address=\"192.168.7.9\",port=\"443\",container=\"api\",pod=\"api-7f\",namespace=\"shop\"} 9000",
            ],
            Samples(text, TrafficFamilies.SentBytes));
        Assert.Contains("conn_tcp_received_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"5432\"} 2000\n", text);
        // Retransmits and resets only where there are any.
        Assert.Equal(["conn_tcp_retransmits_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"5432\"} 3"],
            Samples(text, TrafficFamilies.Retransmits));
        Assert.Equal(
            [
                "conn_tcp_resets_total{process=\"nginx\",unit=\"nginx.service\",connection=\"incoming\",peer_address=\"192.168.7.9\",port=\"443\",direction=\"sent\",container=\"api\",pod=\"api-7f\",namespace=\"shop\"} 1",
                "conn_tcp_resets_total{process=\"nginx\",unit=\"nginx.service\",connection=\"incoming\",peer_address=\"192.168.7.9\",port=\"443\",direction=\"received\",container=\"api\",pod=\"api-7f\",namespace=\"shop\"} 2",
            ],
            Samples(text, TrafficFamilies.Resets));
        Assert.Contains("# TYPE conn_tcp_sent_bytes_total counter\n", text);
    }

    [Fact]
    public void With_conntrack_the_real_destination_is_two_labels_folded_like_the_peer_and_empty_when_not_translated()
    {
        var vip = InetAddress.FromIPAddress(System.Net.IPAddress.Parse("10.96.0.10"));
        var pod = (InetAddress a) => new InetEndpoint(a, 8080);
        var backendA = InetAddress.FromIPAddress(System.Net.IPAddress.Parse("10.244.1.5"));
        var backendB = InetAddress.FromIPAddress(System.Net.IPAddress.Parse("10.244.2.7"));
        TrafficCount[] traffic =
        [
            Outgoing("curl", vip, 80, 100, 10) with { Actual = pod(backendA) },
            Outgoing("curl", vip, 80, 40, 4) with { Actual = pod(backendB) },
            Outgoing("curl", Db, 5432, 7, 1),
        ];
        var networks = NamedNetwork.ParseList(["pods=10.244.0.0/16"], "collector.peers.networks");
        var text = Render(new TrafficFamilies(100, networks, new DroppedSeries(), actualDestinations: true), traffic);
        Assert.Equal(
            [
                "conn_tcp_sent_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"5432\",actual_peer_address=\"\",actual_port=\"\"} 7",
                "conn_tcp_sent_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.96.0.10\",port=\"80\",actual_peer_address=\"pods\",actual_port=\"8080\"} 140",
            ],
            Samples(text, TrafficFamilies.SentBytes));
        // Without conntrack the labels are not written, and the destinations sum into one series.
        var plain = Render(new TrafficFamilies(100, networks, new DroppedSeries()), traffic);
        Assert.Contains("conn_tcp_sent_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.96.0.10\",port=\"80\"} 140\n", plain);
    }

    [Fact]
    public void Peers_in_a_named_network_are_one_series_under_its_name()
    {
        var networks = NamedNetwork.ParseList(["db=10.1.0.0/16"], "collector.peers.networks");
        var other = InetAddress.FromIPAddress(System.Net.IPAddress.Parse("10.1.9.9"));
        var text = Render(new TrafficFamilies(100, networks, new DroppedSeries()),
            Outgoing("curl", Db, 5432, 100, 1), Outgoing("curl", other, 5432, 20, 2), Outgoing("curl", Client, 5432, 7, 0));
        Assert.Equal(
            [
                "conn_tcp_sent_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"192.168.7.9\",port=\"5432\"} 7",
                "conn_tcp_sent_bytes_total{process=\"curl\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"db\",port=\"5432\"} 120",
            ],
            Samples(text, TrafficFamilies.SentBytes));
    }

    /// <summary>
    /// Once a label set has its series it keeps it, and one folded into other stays folded, even
    /// when it becomes the heaviest: otherwise a counter would move between its own series and
    /// other and both would go down.
    /// </summary>
    [Fact]
    public void The_cap_is_sticky_so_every_series_and_other_stay_monotonic()
    {
        var dropped = new DroppedSeries();
        var families = new TrafficFamilies(3, [], dropped); // two label sets and other
        var first = Render(families, Outgoing("a", Db, 1, 10, 0), Outgoing("b", Db, 1, 5, 0));
        Assert.Equal(2, Samples(first, TrafficFamilies.SentBytes).Length);
        Assert.Equal(0, dropped.Get(TrafficFamilies.SentBytes));

        var second = Render(families, Outgoing("a", Db, 1, 11, 0), Outgoing("b", Db, 1, 6, 0), Outgoing("c", Db, 1, 1000, 0));
        Assert.Equal(
            [
                "conn_tcp_sent_bytes_total{process=\"a\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"1\"} 11",
                "conn_tcp_sent_bytes_total{process=\"b\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"1\"} 6",
                "conn_tcp_sent_bytes_total{process=\"other\",unit=\"other\",connection=\"other\",peer_address=\"other\",port=\"other\"} 1000",
            ],
            Samples(second, TrafficFamilies.SentBytes));

        // a's cgroup went and its counts are retired elsewhere: c still does not take its place.
        var third = Render(families, Outgoing("b", Db, 1, 7, 0), Outgoing("c", Db, 1, 1001, 0), Outgoing("d", Db, 1, 4, 0));
        Assert.Equal(
            [
                "conn_tcp_sent_bytes_total{process=\"b\",unit=\"app.service\",connection=\"outgoing\",peer_address=\"10.1.2.3\",port=\"1\"} 7",
                "conn_tcp_sent_bytes_total{process=\"other\",unit=\"other\",connection=\"other\",peer_address=\"other\",port=\"other\"} 1005",
            ],
            Samples(third, TrafficFamilies.SentBytes));
        Assert.Equal(1 + 2, dropped.Get(TrafficFamilies.SentBytes));
        Assert.Equal(1 + 2, dropped.Get(TrafficFamilies.Resets));
    }
}
