using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// TCP health from <c>tcp_info</c> (netlink source) of established sockets, per process name and
/// unit: the distribution of smoothed RTTs, retransmitted segments and bytes in flight.
/// </summary>
public sealed class TcpHealthView : ISnapshotView
{
    public const string Rtt = "conn_tcp_rtt_seconds";
    public const string Retransmits = "conn_tcp_retransmitted_segments";
    public const string InFlight = "conn_tcp_bytes_in_flight";

    /// <summary>100 µs (same host) to 2.5 s (a congested intercontinental path).</summary>
    internal static readonly double[] RttBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly SeriesCap _cap;

    public TcpHealthView(int maxSeries, DroppedSeries dropped) => _cap = new SeriesCap(Rtt, maxSeries, dropped);

    public string Name => "tcpinfo";
    public string Description => "TCP RTT distribution, retransmitted segments and bytes in flight of established sockets per process (needs the netlink source).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => true;
    public bool NeedsTcpInfo => true;

    private sealed class Health
    {
        public readonly ulong[] Buckets = new ulong[RttBuckets.Length];
        public ulong Count;
        public double Sum;
        public ulong Retransmits;
        public ulong InFlight;

        public Health Merge(Health other)
        {
            for (int i = 0; i < Buckets.Length; i++) Buckets[i] += other.Buckets[i];
            Count += other.Count;
            Sum += other.Sum;
            Retransmits += other.Retransmits;
            InFlight += other.InFlight;
            return this;
        }
    }

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var byProcess = new Dictionary<(ContainerLabels Container, string Process, string Unit), Health>();
        foreach (var c in snapshot.Connections)
        {
            var s = c.Socket;
            if (s.Protocol != SocketProtocol.Tcp || s.State != SocketState.Established || c.Tcp is not { } tcp) continue;
            var key = (ContainerLabels.Of(c), LabelValues.Process(c), LabelValues.Unit(c));
            if (!byProcess.TryGetValue(key, out var h)) byProcess[key] = h = new Health();
            double rtt = tcp.RttMicros / 1e6;
            // Cumulative buckets: an observation counts in every bucket whose bound it is under.
            for (int i = RttBuckets.Length - 1; i >= 0 && rtt <= RttBuckets[i]; i--) h.Buckets[i]++;
            h.Count++;
            h.Sum += rtt;
            h.Retransmits += tcp.Retransmits;
            h.InFlight += tcp.BytesInFlight;
        }
        var series = _cap.Apply<(ContainerLabels Container, string Process, string Unit), Health>(byProcess, h => h.Count, (ContainerLabels.Host, SeriesCap.Other, SeriesCap.Other), (a, b) => a.Merge(b));
        var ordered = series.OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare))
            .ThenBy(kv => kv.Key.Process, StringComparer.Ordinal).ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal).ToList();
        var buffer = new LabelBuffer();

        writer.BeginFamily(Rtt, "Smoothed round-trip times of established TCP sockets right now (a distribution over sockets, not over time), per first owning process and unit.", MetricType.Histogram);
        foreach (var ((container, process, unit), h) in ordered)
            writer.Histogram(Rtt, container.Append([new Label("process", process), new Label("unit", unit)], ref buffer), RttBuckets, h.Buckets, h.Sum, h.Count);

        writer.BeginFamily(Retransmits, "Segments retransmitted over the lifetime of the currently established TCP sockets (tcpi_total_retrans summed; falls when sockets close).", MetricType.Gauge);
        foreach (var ((container, process, unit), h) in ordered)
            writer.Sample(Retransmits, container.Append([new Label("process", process), new Label("unit", unit)], ref buffer), h.Retransmits);

        writer.BeginFamily(InFlight, "Unacknowledged bytes in flight of established TCP sockets (tcpi_unacked × tcpi_snd_mss summed).", MetricType.Gauge);
        foreach (var ((container, process, unit), h) in ordered)
            writer.Sample(InFlight, container.Append([new Label("process", process), new Label("unit", unit)], ref buffer), h.InFlight);
    }
}
