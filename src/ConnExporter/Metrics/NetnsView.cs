using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// The <c>netns</c> collector: turns on reading every network namespace of the host (containers,
/// pods, <c>ip netns</c>), so the other views gain their series labelled by container, and writes
/// <c>conn_container_sockets{container, pod, namespace, protocol, state}</c> (the per-container
/// counterpart of the host's <c>conn_sockets</c>; capped) and the namespace self-metrics.
/// </summary>
public sealed class NetnsView : ISnapshotView
{
    public const string ContainerSockets = "conn_container_sockets";
    public const string Scanned = "conn_exporter_netns_scanned";
    public const string ReadFailures = "conn_exporter_netns_read_failures_total";

    private readonly SeriesCap _cap;

    public NetnsView(int maxSeries, DroppedSeries dropped) => _cap = new SeriesCap(ContainerSockets, maxSeries, dropped);

    public string Name => "netns";
    public string Description => "Read every network namespace (containers, pods): other collectors gain container/pod/namespace labels; conn_container_sockets.";
    public bool EnabledByDefault => true;

    // Not for itself: its family counts sockets. Whether the container names of owners are known
    // is up to the views that need owners.
    public bool NeedsOwners => false;

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var counts = new Dictionary<(ContainerLabels Container, SocketProtocol Protocol, SocketState State), ulong>();
        var connections = snapshot.Connections;
        for (int i = connections.HostCount; i < connections.Count; i++)
        {
            var c = connections[i];
            var key = (ContainerLabels.Of(c), c.Socket.Protocol, c.Socket.State);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var series = _cap.Apply<(ContainerLabels Container, SocketProtocol Protocol, SocketState State), ulong>(counts, v => v, (ContainerLabels.Other, SocketProtocol.Tcp, SocketState.Unknown), (a, b) => a + b);
        writer.BeginFamily(ContainerSockets,
            "Sockets in network namespaces other than the host's, by container (its name, else the short id; netns when no container claims the namespace), Kubernetes pod and namespace, protocol and state. Capped by --collector.netns.max-series.",
            MetricType.Gauge);
        var buffer = new LabelBuffer();
        foreach (var ((container, protocol, state), count) in series
                     .OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare))
                     .ThenBy(kv => kv.Key.Protocol).ThenBy(kv => kv.Key.State))
        {
            bool other = container == ContainerLabels.Other && state == SocketState.Unknown;
            writer.Sample(ContainerSockets,
                container.Append(
                [
                    new Label("protocol", other ? SeriesCap.Other : LabelValues.Protocol(protocol)),
                    new Label("state", other ? SeriesCap.Other : SocketStates.Name(protocol, state)),
                ], ref buffer),
                count);
        }

        writer.BeginFamily(Scanned, "Network namespaces read in the last collection, the host's included.", MetricType.Gauge);
        writer.Sample(Scanned, (ulong)snapshot.Stats.NamespacesScanned);
        writer.BeginFamily(ReadFailures,
            "Network namespaces not read: vanished (every process exited during the read), unreadable (no process to read through and no setns), error (see the log).",
            MetricType.Counter);
        var failures = snapshot.Stats.NamespaceReadFailures;
        for (int i = 0; i < NamespaceReadFailures.Reasons.Length; i++)
            writer.Sample(ReadFailures, [new Label("reason", NamespaceReadFailures.Reasons[i])], i < failures.Count ? (ulong)failures[i] : 0UL);
    }
}
