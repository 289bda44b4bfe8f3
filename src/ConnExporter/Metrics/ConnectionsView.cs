using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// The original exporter's <c>network_connections_info</c>: one series per socket, with
/// ephemeral ports. Off by default (it is the high-cardinality metric par excellence); capped by
/// <c>--collector.connections.max-series</c>, the overflow in one series whose labels are all
/// <c>other</c> and whose value is the number of sockets folded into it.
/// </summary>
public sealed class ConnectionsView : ISnapshotView
{
    public const string ConnectionsInfo = "network_connections_info";

    private readonly int _maxSeries;
    private readonly bool _includeTimeWait;
    private readonly DroppedSeries _dropped;

    public ConnectionsView(int maxSeries, bool includeTimeWait, DroppedSeries dropped)
    {
        _maxSeries = maxSeries;
        _includeTimeWait = includeTimeWait;
        _dropped = dropped;
        dropped.Register(ConnectionsInfo);
    }

    public string Name => "connections";
    public string Description => "One series per socket, as the original exporter had it (network_connections_info); high cardinality.";
    public bool EnabledByDefault => false;
    public bool NeedsOwners => true;

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        writer.BeginFamily(ConnectionsInfo, "A socket with its endpoints, state, interface, protocol, direction and first owning process (1 per socket; the other series counts sockets over the cap).", MetricType.Gauge);
        int eligible = 0;
        foreach (var c in snapshot.Connections)
            if (_includeTimeWait || c.Socket.State != SocketState.TimeWait) eligible++;
        // Over the cap, keep the last slot for the other series so the total stays within it.
        int budget = eligible <= _maxSeries ? eligible : Math.Max(_maxSeries - 1, 0);
        int written = 0;
        ulong folded = 0;
        Span<char> local = stackalloc char[64];
        Span<char> remote = stackalloc char[64];
        foreach (var c in snapshot.Connections)
        {
            var s = c.Socket;
            if (s.State == SocketState.TimeWait && !_includeTimeWait) continue;
            if (written >= budget)
            {
                folded++;
                continue;
            }
            s.Local.Address.Normalize().TryFormat(local, out int localLength);
            s.Remote.Address.Normalize().TryFormat(remote, out int remoteLength);
            writer.BeginSample(ConnectionsInfo);
            writer.WriteLabel("source_address", local[..localLength]);
            writer.WriteLabel("source_port", s.Local.Port);
            writer.WriteLabel("destination_address", remote[..remoteLength]);
            writer.WriteLabel("destination_port", s.Remote.Port);
            writer.WriteLabel("state", SocketStates.Name(s.Protocol, s.State));
            writer.WriteLabel("interface", c.Interface);
            writer.WriteLabel("protocol", LabelValues.Protocol(s.Protocol));
            writer.WriteLabel("direction", Directions.Name(c.Direction));
            writer.WriteLabel("process_name", LabelValues.Process(c));
            ContainerLabels.Of(c).WriteTo(writer);
            writer.EndSample(1UL);
            written++;
        }
        if (folded == 0) return;
        writer.BeginSample(ConnectionsInfo);
        foreach (var name in (ReadOnlySpan<string>)["source_address", "source_port", "destination_address", "destination_port", "state", "interface", "protocol", "direction", "process_name"])
            writer.WriteLabel(name, SeriesCap.Other);
        writer.EndSample(folded);
        _dropped.Add(ConnectionsInfo, (long)folded);
    }
}
