using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// The eBPF collector's traffic counters per owner and aggregated peer:
/// <c>conn_tcp_sent_bytes_total</c>, <c>conn_tcp_received_bytes_total</c> (payload),
/// <c>conn_tcp_retransmits_total</c> (segments) and <c>conn_tcp_resets_total{direction}</c>.
/// Labelled like <c>conn_tcp_connects_total</c> (process, unit, container) plus the peer as
/// <c>conn_peers</c> aggregates it: <c>connection</c> (incoming / outgoing), <c>peer_address</c>
/// (or the name of its <c>--collector.peers.networks</c> network) and <c>port</c> (the remote
/// port of outgoing, the local service port of incoming connections; never an ephemeral one).
/// With <c>--collector.conntrack</c>, <c>actual_peer_address</c> and <c>actual_port</c> are the
/// real destination of an outgoing connection whose destination was NATed (folded by the same
/// networks), empty otherwise, as on <c>conn_peers</c>.
/// The four families share one <see cref="StickySeriesCap{TKey}"/>, so a label set is in its own
/// series or in <c>other</c> in all of them, and stays there.
/// </summary>
public sealed class TrafficFamilies
{
    public const string SentBytes = "conn_tcp_sent_bytes_total";
    public const string ReceivedBytes = "conn_tcp_received_bytes_total";
    public const string Retransmits = "conn_tcp_retransmits_total";
    public const string Resets = "conn_tcp_resets_total";

    private readonly IReadOnlyList<NamedNetwork> _networks;
    private readonly StickySeriesCap<Key> _cap;
    private readonly bool _actual;

    public TrafficFamilies(int maxSeries, IReadOnlyList<NamedNetwork> networks, DroppedSeries dropped, bool actualDestinations = false)
    {
        _networks = networks;
        _actual = actualDestinations;
        _cap = new StickySeriesCap<Key>(maxSeries, dropped, SentBytes, ReceivedBytes, Retransmits, Resets);
    }

    /// <param name="ActualPeer">The real destination's address label, "" when not translated.</param>
    /// <param name="ActualPort">The real destination's port, 0 when not translated.</param>
    public readonly record struct Key(ContainerLabels Container, string Process, string Unit, Direction Connection, string Peer, ushort Port,
        string ActualPeer = "", ushort ActualPort = 0);

    private static readonly Key OtherKey = new(ContainerLabels.Host, SeriesCap.Other, SeriesCap.Other, Direction.Unknown, SeriesCap.Other, 0);

    public void Write(IReadOnlyList<TrafficCount> traffic, ExpositionWriter writer)
    {
        var sums = new Dictionary<Key, TrafficTotals>();
        foreach (var t in traffic)
        {
            var key = new Key(ContainerLabels.Of(t.Container), t.Process, t.Unit, t.Direction, PeerLabel(t.Peer), t.Port,
                _actual && t.Actual is { } a ? PeerLabel(a.Address) : "", _actual && t.Actual is { } b ? b.Port : (ushort)0);
            sums[key] = sums.GetValueOrDefault(key) + t.Totals;
        }
        var series = _cap.Apply(sums, v => (double)v.SentBytes + v.ReceivedBytes, OtherKey, (a, b) => a + b);
        series.Sort((a, b) => Compare(a.Key, b.Key));

        var buffer = new LabelBuffer();
        writer.BeginFamily(SentBytes, "TCP payload bytes sent and acknowledged by the peer, since the exporter attached, by process, unit, container, connection direction, peer address and service port. Counted at close and at most once a second while a connection is used (see docs/traffic.md).", MetricType.Counter);
        foreach (var (key, totals) in series)
            Sample(writer, SentBytes, key, null, totals.SentBytes, ref buffer);
        writer.BeginFamily(ReceivedBytes, "TCP payload bytes received, since the exporter attached, labelled as conn_tcp_sent_bytes_total.", MetricType.Counter);
        foreach (var (key, totals) in series)
            Sample(writer, ReceivedBytes, key, null, totals.ReceivedBytes, ref buffer);
        // Most label sets never retransmit or reset: only series with a count (monotonic, so a
        // series once present stays).
        writer.BeginFamily(Retransmits, "TCP segments retransmitted (SYN retransmits included), labelled as conn_tcp_sent_bytes_total.", MetricType.Counter);
        foreach (var (key, totals) in series)
            if (totals.Retransmits > 0) Sample(writer, Retransmits, key, null, totals.Retransmits, ref buffer);
        writer.BeginFamily(Resets, "TCP resets sent (direction=\"sent\") and received (direction=\"received\") on connections, labelled as conn_tcp_sent_bytes_total.", MetricType.Counter);
        foreach (var (key, totals) in series)
        {
            if (totals.ResetsSent > 0) Sample(writer, Resets, key, "sent", totals.ResetsSent, ref buffer);
            if (totals.ResetsReceived > 0) Sample(writer, Resets, key, "received", totals.ResetsReceived, ref buffer);
        }
    }

    private string PeerLabel(InetAddress peer) => NamedNetwork.NameOf(_networks, peer) ?? peer.ToString();

    private void Sample(ExpositionWriter writer, string family, Key key, string? reset, ulong value, ref LabelBuffer buffer)
    {
        bool other = key == OtherKey;
        Span<Label> labels =
        [
            new Label("process", key.Process), new Label("unit", key.Unit),
            new Label("connection", other ? SeriesCap.Other : Directions.Name(key.Connection)),
            new Label("peer_address", key.Peer),
            new Label("port", other ? SeriesCap.Other : LabelValues.Port(key.Port)),
            default, default, default,
        ];
        int count = 5;
        if (_actual)
        {
            labels[count++] = new Label("actual_peer_address", key.ActualPeer);
            labels[count++] = new Label("actual_port", key.ActualPort == 0 ? "" : LabelValues.Port(key.ActualPort));
        }
        if (reset is not null) labels[count++] = new Label("direction", reset);
        writer.Sample(family, key.Container.Append(labels[..count], ref buffer), value);
    }

    private static int Compare(Key a, Key b)
    {
        int c = ContainerLabels.Compare(a.Container, b.Container);
        if (c == 0) c = string.CompareOrdinal(a.Process, b.Process);
        if (c == 0) c = string.CompareOrdinal(a.Unit, b.Unit);
        if (c == 0) c = a.Connection.CompareTo(b.Connection);
        if (c == 0) c = string.CompareOrdinal(a.Peer, b.Peer);
        if (c == 0) c = a.Port.CompareTo(b.Port);
        if (c == 0) c = string.CompareOrdinal(a.ActualPeer, b.ActualPeer);
        if (c == 0) c = a.ActualPort.CompareTo(b.ActualPort);
        return c;
    }
}
