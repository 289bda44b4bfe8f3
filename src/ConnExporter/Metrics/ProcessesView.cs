using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// <c>conn_process_sockets{process, unit, protocol, state}</c> grouped by process name (never
/// by pid), capped, and <c>conn_unowned_sockets{protocol, state}</c> for the rest: together they
/// count every socket once.
/// </summary>
public sealed class ProcessesView : ISnapshotView
{
    public const string ProcessSockets = "conn_process_sockets";
    public const string UnownedSockets = "conn_unowned_sockets";

    private readonly SeriesCap _cap;

    public ProcessesView(int maxSeries, DroppedSeries dropped) => _cap = new SeriesCap(ProcessSockets, maxSeries, dropped);

    public string Name => "processes";
    public string Description => "Sockets per process name, unit, protocol and state, and unowned sockets (conn_process_sockets, conn_unowned_sockets).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => true;

    public void Write(Snapshot snapshot, ExpositionWriter writer)
    {
        var owned = new Dictionary<(ContainerLabels Container, string Process, string Unit, SocketProtocol Protocol, SocketState State), ulong>();
        var unowned = new Dictionary<(SocketProtocol Protocol, SocketState State), ulong>();
        foreach (var c in snapshot.Connections)
        {
            var s = c.Socket;
            // conn_unowned_sockets stays the host's: with conn_process_sockets' host series it adds
            // up to conn_sockets. Other namespaces' totals are conn_container_sockets.
            if (c.IsUnowned)
            {
                if (!c.Netns.IsHost) continue;
                var u = (s.Protocol, s.State);
                unowned[u] = unowned.GetValueOrDefault(u) + 1;
                continue;
            }
            var key = (ContainerLabels.Of(c), LabelValues.Process(c), LabelValues.Unit(c), s.Protocol, s.State);
            owned[key] = owned.GetValueOrDefault(key) + 1;
        }

        var series = _cap.Apply<(ContainerLabels Container, string Process, string Unit, SocketProtocol Protocol, SocketState State), ulong>(owned, v => v, (ContainerLabels.Host, SeriesCap.Other, SeriesCap.Other, SocketProtocol.Tcp, SocketState.Unknown), (a, b) => a + b);
        var buffer = new LabelBuffer();
        writer.BeginFamily(ProcessSockets, "Sockets attributed to a process (by name; a shared socket counts for its first owner), its systemd unit, protocol and state. Capped by --collector.processes.max-series; the rest is process=\"other\".", MetricType.Gauge);
        foreach (var ((container, process, unit, protocol, state), count) in series.OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare)).ThenBy(kv => kv.Key.Process, StringComparer.Ordinal).ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal).ThenBy(kv => kv.Key.Protocol).ThenBy(kv => kv.Key.State))
        {
            bool other = ReferenceEquals(process, SeriesCap.Other) && state == SocketState.Unknown;
            writer.Sample(ProcessSockets,
                container.Append(
                [
                    new Label("process", process), new Label("unit", unit),
                    new Label("protocol", other ? SeriesCap.Other : LabelValues.Protocol(protocol)),
                    new Label("state", other ? SeriesCap.Other : SocketStates.Name(protocol, state)),
                ], ref buffer),
                count);
        }

        writer.BeginFamily(UnownedSockets, "Sockets no process holds: TIME_WAIT, request and orphaned sockets (inode 0), and sockets whose owner could not be read.", MetricType.Gauge);
        foreach (var ((protocol, state), count) in unowned.OrderBy(kv => kv.Key.Protocol).ThenBy(kv => kv.Key.State))
        {
            writer.Sample(UnownedSockets,
                [new Label("protocol", LabelValues.Protocol(protocol)), new Label("state", SocketStates.Name(protocol, state))],
                count);
        }
    }
}
