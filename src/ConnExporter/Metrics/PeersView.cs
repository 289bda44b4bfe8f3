using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// <c>conn_peers{direction, process, unit, peer_address, port, protocol}</c>: established
/// connections aggregated without ephemeral ports. Incoming: the local service port and the
/// client's address; outgoing: the remote address and port. Capped, with an <c>other</c> bucket.
/// </summary>
public sealed class PeersView : ISnapshotView
{
    public const string Peers = "conn_peers";

    private readonly SeriesCap _cap;
    private readonly IReadOnlyList<NamedNetwork> _networks;

    public PeersView(int maxSeries, IReadOnlyList<NamedNetwork> networks, DroppedSeries dropped)
    {
        _cap = new SeriesCap(Peers, maxSeries, dropped);
        _networks = networks;
    }

    public string Name => "peers";
    public string Description => "Established connections per direction, process, unit, peer address (or named network) and service port (conn_peers).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => true;

    private readonly record struct Key(ContainerLabels Container, Direction Direction, string Process, string Unit, InetAddress Peer, string? Network, ushort Port, SocketProtocol Protocol);

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var counts = new Dictionary<Key, ulong>();
        foreach (var c in snapshot.Connections)
        {
            var s = c.Socket;
            if (s.State != SocketState.Established) continue;
            if (c.Direction is not (Direction.Incoming or Direction.Outgoing)) continue;
            var peer = s.Remote.Address.Normalize();
            string? network = null;
            foreach (var n in _networks)
            {
                if (n.Contains(peer))
                {
                    network = n.Name;
                    peer = default;
                    break;
                }
            }
            var port = c.Direction == Direction.Incoming ? s.Local.Port : s.Remote.Port;
            var key = new Key(ContainerLabels.Of(c), c.Direction, LabelValues.Process(c), LabelValues.Unit(c), peer, network, port, s.Protocol);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        var other = new Key(ContainerLabels.Host, Direction.Unknown, SeriesCap.Other, SeriesCap.Other, default, SeriesCap.Other, 0, SocketProtocol.Tcp);
        var series = _cap.Apply(counts, v => v, other, (a, b) => a + b);
        writer.BeginFamily(Peers, "Established connections by direction, first owning process, unit, peer address (or the name given in --collector.peers.networks) and service port; ephemeral ports never appear. Capped by --collector.peers.max-series; the rest is one series with every label \"other\".", MetricType.Gauge);
        var buffer = new LabelBuffer();
        foreach (var (key, count) in series.OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare)).ThenBy(kv => kv.Key.Direction).ThenBy(kv => kv.Key.Process, StringComparer.Ordinal).ThenBy(kv => kv.Key.Port))
        {
            bool isOther = key == other;
            writer.Sample(Peers,
                key.Container.Append(
                [
                    new Label("direction", isOther ? SeriesCap.Other : Directions.Name(key.Direction)),
                    new Label("process", key.Process), new Label("unit", key.Unit),
                    new Label("peer_address", key.Network ?? key.Peer.ToString()),
                    new Label("port", isOther ? SeriesCap.Other : LabelValues.Port(key.Port)),
                    new Label("protocol", isOther ? SeriesCap.Other : LabelValues.Protocol(key.Protocol)),
                ], ref buffer),
                count);
        }
    }
}
