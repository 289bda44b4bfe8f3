using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary><c>conn_sockets{protocol, family, state}</c>, every state zero-filled.</summary>
public sealed class SocketsView : ISnapshotView
{
    public const string Sockets = "conn_sockets";

    public string Name => "sockets";
    public string Description => "Sockets per protocol, family and state (conn_sockets).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => false;

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        // [protocol, family, state]: a fixed table, no dictionary, no allocation.
        Span<int> counts = stackalloc int[2 * 2 * 16];
        foreach (ref readonly var s in snapshot.Connections.HostSockets)
            counts[Index(s.Protocol, s.Family, s.State)]++;

        writer.BeginFamily(Sockets, "Sockets in the host's network namespace by protocol, address family and kernel state.", MetricType.Gauge);
        foreach (var protocol in (ReadOnlySpan<SocketProtocol>)[SocketProtocol.Tcp, SocketProtocol.Udp])
        {
            var states = protocol == SocketProtocol.Tcp ? SocketStates.AllTcp : SocketStates.AllUdp;
            foreach (var family in (ReadOnlySpan<IpFamily>)[IpFamily.IPv4, IpFamily.IPv6])
            {
                foreach (var state in states)
                {
                    writer.Sample(Sockets,
                        [
                            new Label("protocol", LabelValues.Protocol(protocol)),
                            new Label("family", LabelValues.Family(family)),
                            new Label("state", SocketStates.Name(protocol, state)),
                        ],
                        (ulong)counts[Index(protocol, family, state)]);
                }
            }
        }
    }

    private static int Index(SocketProtocol p, IpFamily f, SocketState s) => ((int)p * 2 + (int)f) * 16 + ((int)s & 15);
}
