using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// <c>conn_peers{direction, process, unit, peer_address, port, protocol, actual_peer_address,
/// actual_port}</c>: established connections aggregated without ephemeral ports. Incoming: the
/// local service port and the client's address; outgoing: the remote address and port, and, when
/// that was a destination NAT (conntrack read), the real destination behind it, folded into named
/// networks exactly as the peer is; empty when not translated. Capped, with an <c>other</c> bucket.
/// </summary>
public sealed class PeersView : ISnapshotView
{
    public const string Peers = "conn_peers";

    private readonly SeriesCap _cap;
    private readonly IReadOnlyList<NamedNetwork> _networks;

    private readonly bool _actualDestinations;

    /// <param name="actualDestinations">Conntrack is read (--collector.conntrack): write the
    /// actual_* labels. Without it they are left out rather than always empty.</param>
    public PeersView(int maxSeries, IReadOnlyList<NamedNetwork> networks, DroppedSeries dropped, bool actualDestinations = false)
    {
        _actualDestinations = actualDestinations;
        _cap = new SeriesCap(Peers, maxSeries, dropped);
        _networks = networks;
    }

    public string Name => "peers";
    public string Description => "Established connections per direction, process, unit, peer address (or named network) and service port (conn_peers).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => true;

    private readonly record struct Key(ContainerLabels Container, Direction Direction, string Process, string Unit, InetAddress Peer, string? Network, ushort Port, SocketProtocol Protocol, Actual Actual);

    /// <summary>The real destination behind a NAT: default (all empty) when not translated.</summary>
    private readonly record struct Actual(bool Translated, InetAddress Peer, string? Network, ushort Port);

    /// <summary>An address, or the name of the first named network holding it (the address then default).</summary>
    private (InetAddress Peer, string? Network) Fold(InetAddress address)
    {
        var peer = address.Normalize();
        return NamedNetwork.NameOf(_networks, peer) is { } name ? (default, name) : (peer, null);
    }

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var counts = new Dictionary<Key, ulong>();
        foreach (var c in snapshot.Connections)
        {
            var s = c.Socket;
            if (s.State != SocketState.Established) continue;
            if (c.Direction is not (Direction.Incoming or Direction.Outgoing)) continue;
            var (peer, network) = Fold(s.Remote.Address);
            var port = c.Direction == Direction.Incoming ? s.Local.Port : s.Remote.Port;
            var actual = default(Actual);
            if (c.ActualRemote is { } real)
            {
                var (realPeer, realNetwork) = Fold(real.Address);
                actual = new Actual(true, realPeer, realNetwork, real.Port);
            }
            var key = new Key(ContainerLabels.Of(c), c.Direction, LabelValues.Process(c), LabelValues.Unit(c), peer, network, port, s.Protocol, actual);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        var other = new Key(ContainerLabels.Host, Direction.Unknown, SeriesCap.Other, SeriesCap.Other, default, SeriesCap.Other, 0, SocketProtocol.Tcp,
            new Actual(true, default, SeriesCap.Other, 0));
        var series = _cap.Apply(counts, v => v, other, (a, b) => a + b);
        writer.BeginFamily(Peers, "Established connections by direction, first owning process, unit, peer address (or the name given in --collector.peers.networks) and service port; ephemeral ports never appear. actual_peer_address and actual_port are the real destination behind a destination NAT (--collector.conntrack), empty when not translated. Capped by --collector.peers.max-series; the rest is one series with every label \"other\".", MetricType.Gauge);
        var buffer = new LabelBuffer();
        foreach (var (key, count) in series.OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare)).ThenBy(kv => kv.Key.Direction).ThenBy(kv => kv.Key.Process, StringComparer.Ordinal).ThenBy(kv => kv.Key.Port))
        {
            bool isOther = key == other;
            ReadOnlySpan<Label> labels =
                [
                    new Label("direction", isOther ? SeriesCap.Other : Directions.Name(key.Direction)),
                    new Label("process", key.Process), new Label("unit", key.Unit),
                    new Label("peer_address", key.Network ?? key.Peer.ToString()),
                    new Label("port", isOther ? SeriesCap.Other : LabelValues.Port(key.Port)),
                    new Label("protocol", isOther ? SeriesCap.Other : LabelValues.Protocol(key.Protocol)),
                    new Label("actual_peer_address", !key.Actual.Translated ? "" : key.Actual.Network ?? key.Actual.Peer.ToString()),
                    new Label("actual_port", isOther ? SeriesCap.Other : key.Actual.Translated ? LabelValues.Port(key.Actual.Port) : ""),
                ];
            writer.Sample(Peers, key.Container.Append(_actualDestinations ? labels : labels[..^2], ref buffer), count);
        }
    }
}
