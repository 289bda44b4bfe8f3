using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// What this host serves: <c>conn_listeners_info</c> per listening TCP socket and bound,
/// unconnected UDP socket, and each TCP listener's accept queue against its backlog, which
/// fills before clients start to fail.
/// </summary>
public sealed class ListenersView : ISnapshotView
{
    public const string ListenersInfo = "conn_listeners_info";
    public const string ListenQueue = "conn_tcp_listen_queue";
    public const string ListenBacklog = "conn_tcp_listen_backlog";

    public string Name => "listeners";
    public string Description => "Listening sockets with their process and unit, and TCP accept queues (conn_listeners_info, conn_tcp_listen_queue, conn_tcp_listen_backlog).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => true;

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var info = new HashSet<(ContainerLabels, string, string, string, ushort, string, string, string)>();
        var queues = new Dictionary<(ContainerLabels Container, string Address, ushort Port), (ulong Queue, ulong Backlog)>();
        foreach (var c in snapshot.Connections)
        {
            var s = c.Socket;
            bool tcpListener = s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen;
            bool udpBound = s.Protocol == SocketProtocol.Udp && s.State == SocketState.Close && s.Local.Port != 0;
            if (!tcpListener && !udpBound) continue;
            var address = s.Local.Address.Normalize().ToString();
            var container = ContainerLabels.Of(c);
            // SO_REUSEPORT groups and forked listeners are one service: identical labels, one series.
            // Each namespace has its own ports: a container's :80 is not the host's.
            info.Add((container, LabelValues.Protocol(s.Protocol), LabelValues.Family(s.Family), address, s.Local.Port,
                c.Interface, LabelValues.Process(c), LabelValues.Unit(c)));
            if (tcpListener)
            {
                var key = (container, address, s.Local.Port);
                var (queue, backlog) = queues.GetValueOrDefault(key);
                // For a listener the kernel reports the accept queue as rqueue and its limit as wqueue.
                queues[key] = (queue + s.ReceiveQueue, backlog + s.SendQueue);
            }
        }

        writer.BeginFamily(ListenersInfo, "A listening TCP socket or bound unconnected UDP socket, with the first owning process and its systemd unit.", MetricType.Gauge);
        var buffer = new LabelBuffer();
        foreach (var (container, protocol, family, address, port, iface, process, unit) in info
                     .OrderBy(i => i.Item1, Comparer<ContainerLabels>.Create(ContainerLabels.Compare))
                     .ThenBy(i => i.Item2, StringComparer.Ordinal).ThenBy(i => i.Item3, StringComparer.Ordinal)
                     .ThenBy(i => i.Item4, StringComparer.Ordinal).ThenBy(i => i.Item5)
                     .ThenBy(i => i.Item6, StringComparer.Ordinal).ThenBy(i => i.Item7, StringComparer.Ordinal)
                     .ThenBy(i => i.Item8, StringComparer.Ordinal))
        {
            writer.Sample(ListenersInfo,
                container.Append(
                [
                    new Label("protocol", protocol), new Label("family", family), new Label("address", address),
                    new Label("port", LabelValues.Port(port)), new Label("interface", iface),
                    new Label("process", process), new Label("unit", unit),
                ], ref buffer),
                1UL);
        }

        var ordered = queues.OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare))
            .ThenBy(kv => kv.Key.Port).ThenBy(kv => kv.Key.Address, StringComparer.Ordinal).ToList();
        writer.BeginFamily(ListenQueue, "Connections waiting in a TCP listener's accept queue (summed over SO_REUSEPORT groups).", MetricType.Gauge);
        foreach (var ((container, address, port), (queue, _)) in ordered)
            writer.Sample(ListenQueue, container.Append([new Label("address", address), new Label("port", LabelValues.Port(port))], ref buffer), queue);

        // procfs does not show a listener's backlog limit; an absent series beats a false 0. Other
        // namespaces read through procfs have none either.
        if (snapshot.Stats.Source == SocketSources.Procfs) return;
        bool othersHaveBacklog = snapshot.Stats.OtherNamespacesSource is null or SocketSources.Netlink;
        writer.BeginFamily(ListenBacklog, "The accept queue limit (listen backlog) of a TCP listener (summed over SO_REUSEPORT groups).", MetricType.Gauge);
        foreach (var ((container, address, port), (_, backlog)) in ordered)
        {
            if (!container.IsHost && !othersHaveBacklog) continue;
            writer.Sample(ListenBacklog, container.Append([new Label("address", address), new Label("port", LabelValues.Port(port))], ref buffer), backlog);
        }
    }
}
