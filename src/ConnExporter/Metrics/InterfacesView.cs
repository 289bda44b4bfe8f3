using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary><c>conn_interface_sockets{interface, protocol, state}</c> for states with a count.</summary>
public sealed class InterfacesView : ISnapshotView
{
    public const string InterfaceSockets = "conn_interface_sockets";

    public string Name => "interfaces";
    public string Description => "Sockets per interface, protocol and state (conn_interface_sockets).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => false;

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var counts = new Dictionary<(string Interface, SocketProtocol Protocol, SocketState State), ulong>();
        // The host's interfaces only: every container has its own eth0 and lo.
        foreach (var c in snapshot.Connections)
        {
            if (!c.Netns.IsHost) continue;
            var key = (c.Interface, c.Socket.Protocol, c.Socket.State);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        writer.BeginFamily(InterfaceSockets,
            "Sockets per interface (bound device, else the owner of the local address; any = wildcard bind, unknown = no match), protocol and state.",
            MetricType.Gauge);
        foreach (var ((iface, protocol, state), count) in counts.OrderBy(kv => kv.Key.Interface, StringComparer.Ordinal)
                     .ThenBy(kv => kv.Key.Protocol).ThenBy(kv => kv.Key.State))
        {
            writer.Sample(InterfaceSockets,
                [
                    new Label("interface", iface),
                    new Label("protocol", LabelValues.Protocol(protocol)),
                    new Label("state", SocketStates.Name(protocol, state)),
                ],
                count);
        }
    }
}
