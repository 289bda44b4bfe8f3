using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// The eBPF collector's families: connect outcomes and latency per process name, unit and
/// container (<see cref="ContainerLabels"/>, from the cgroup; none for the host's processes), accepts
/// per local port, unit and container, optionally the original monitor's per-pid counter, and the collector's
/// own health. The counters come from kernel maps, not from the snapshot, and are monotonic:
/// they are keyed by process name and cgroup (never by pid), so they survive process exit and
/// pid reuse. Per-process and per-port series are capped; the rest fold into <c>other</c>.
/// </summary>
public sealed class EbpfView : ISnapshotView
{
    public const string Connects = "conn_tcp_connects_total";
    public const string ConnectDuration = "conn_tcp_connect_duration_seconds";
    public const string Accepts = "conn_tcp_accepts_total";
    public const string ConnectsByPid = "tcp_connects_by_pid";
    public const string Attached = "conn_exporter_ebpf_attached";
    public const string EventsLost = "conn_exporter_ebpf_events_lost_total";
    public const string MapFull = "conn_exporter_ebpf_map_full_total";
    public const string MapEntriesRetired = "conn_exporter_ebpf_map_entries_retired_total";

    private const int Families = 2;

    private readonly Func<ConnEventCounts>? _read;
    private readonly string _unavailable;
    private readonly bool _perPid;
    // Sticky: a label set keeps its own series (or its place in "other") for the exporter's
    // life, so no counter moves between its series and "other" (its series would vanish and
    // other jump by its whole count, a rate spike nobody caused). The pid
    // family is the exception: pids churn without bound, so a remembered admission would grow
    // with every pid ever seen; it keeps the per-scrape heaviest (opt-in, the seed's metric).
    private readonly StickySeriesCap<(ContainerLabels Container, string Process, string Unit)> _connectsCap;
    private readonly StickySeriesCap<(ContainerLabels Container, string Process, string Unit)> _durationCap;
    private readonly StickySeriesCap<(ContainerLabels Container, string Port, string Unit)> _acceptsCap;
    private readonly SeriesCap _pidCap;
    private readonly TrafficFamilies? _traffic;

    /// <summary>A view over a started collector, or (null) one that fails every scrape with <paramref name="unavailable"/>.</summary>
    /// <param name="traffic">How the traffic families are capped and peers named; null leaves them out.
    /// They are written only while the collector runs its traffic programs.</param>
    public EbpfView(EbpfCollector? collector, string? unavailable, int maxSeries, DroppedSeries dropped, TrafficSettings? traffic = null)
        : this(collector is null ? null : collector.Read, unavailable, collector?.Options.PerPid ?? false, maxSeries, dropped,
            collector is { Options.Traffic: true, TrafficUnavailable: null } ? traffic : null)
    {
    }

    /// <summary>For tests and other readers: <paramref name="read"/> returns the current totals.</summary>
    public EbpfView(Func<ConnEventCounts>? read, string? unavailable, bool perPid, int maxSeries, DroppedSeries dropped, TrafficSettings? traffic = null)
    {
        _read = read;
        _unavailable = unavailable ?? "the eBPF collector is not running";
        _perPid = perPid;
        // Caps register their dropped-series counters: only for a collector that can write.
        var capped = read is null ? new DroppedSeries() : dropped;
        _connectsCap = new(maxSeries, capped, Connects);
        _durationCap = new(maxSeries, capped, ConnectDuration);
        _acceptsCap = new(maxSeries, capped, Accepts);
        _pidCap = new SeriesCap(ConnectsByPid, maxSeries, perPid ? capped : new DroppedSeries());
        if (traffic is not null) _traffic = new TrafficFamilies(traffic.MaxSeries, traffic.Networks, capped, traffic.ActualDestinations);
    }

    /// <summary>The traffic families' cap (<c>--collector.ebpf.traffic.max-series</c>), named
    /// peer networks (<c>--collector.peers.networks</c>) and whether they carry
    /// <c>actual_peer_address</c>/<c>actual_port</c> (<c>--collector.conntrack</c>).</summary>
    public sealed record TrafficSettings(int MaxSeries, IReadOnlyList<NamedNetwork> Networks, bool ActualDestinations = false);

    public string Name => "ebpf";
    public string Description => "TCP connect outcomes and latency per process and unit, accepts per port, from eBPF tracepoints (conn_tcp_connects_total, conn_tcp_connect_duration_seconds, conn_tcp_accepts_total).";
    public bool EnabledByDefault => true;
    public bool NeedsOwners => false;
    public bool NeedsSnapshot => false;

    public void Write(Snapshot snapshot, ExpositionWriter writer) => Write(writer);

    /// <summary>Writes the families; throws <see cref="EbpfUnavailableException"/> while the collector is off.</summary>
    public void Write(ExpositionWriter writer)
    {
        if (_read is null) throw new EbpfUnavailableException(_unavailable);
        var counts = _read();
        WriteConnects(counts, writer);
        WriteDurations(counts, writer);
        WriteAccepts(counts, writer);
        _traffic?.Write(counts.Traffic, writer);
        if (_perPid) WritePids(counts, writer);
        WriteHealth(counts, writer);
    }

    private void WriteConnects(ConnEventCounts counts, ExpositionWriter writer)
    {
        var byProcess = new Dictionary<(ContainerLabels Container, string Process, string Unit), ulong[]>();
        foreach (var c in counts.Connects)
        {
            var key = (ContainerLabels.Of(c.Container), c.Process, c.Unit);
            if (!byProcess.TryGetValue(key, out var cells)) byProcess[key] = cells = new ulong[Families * ConnectResults.Count];
            int result = Math.Min((int)c.Result, ConnectResults.Count - 1);
            cells[(int)c.Family * ConnectResults.Count + result] += c.Count;
        }
        var series = _connectsCap.Apply<ulong[]>(byProcess, Total, (ContainerLabels.Host, SeriesCap.Other, SeriesCap.Other), Add);

        writer.BeginFamily(Connects, "TCP connect attempts since the exporter attached, by process name, unit, container, address family and result (established, refused, timeout, reset, other). Capped by process, unit and container; the rest is process=\"other\".", MetricType.Counter);
        var buffer = new LabelBuffer();
        foreach (var ((container, process, unit), cells) in Ordered(series))
        {
            for (int family = 0; family < Families; family++)
            {
                var row = cells.AsSpan(family * ConnectResults.Count, ConnectResults.Count);
                if (!row.ContainsAnyExcept(0UL)) continue;
                for (int result = 0; result < ConnectResults.Count; result++)
                {
                    writer.Sample(Connects,
                        container.Append(
                        [
                            new Label("process", process), new Label("unit", unit),
                            new Label("family", LabelValues.Family((IpFamily)family)),
                            new Label("result", ConnectResults.Name((ConnectResult)result)),
                        ], ref buffer),
                        row[result]);
                }
            }
        }
    }

    private void WriteDurations(ConnEventCounts counts, ExpositionWriter writer)
    {
        var bounds = ConnEventsLayout.LatencyBounds;
        int slots = bounds.Length + 1;
        var byProcess = new Dictionary<(ContainerLabels Container, string Process, string Unit), Histogram>();
        foreach (var l in counts.Latencies)
        {
            var key = (ContainerLabels.Of(l.Container), l.Process, l.Unit);
            if (!byProcess.TryGetValue(key, out var h)) byProcess[key] = h = new Histogram(new ulong[slots], 0);
            for (int i = 0; i < slots && i < l.Slots.Length; i++) h.Slots[i] += l.Slots[i];
            byProcess[key] = h with { Sum = h.Sum + l.SumSeconds };
        }
        var series = _durationCap.Apply<Histogram>(byProcess, h => Total(h.Slots), (ContainerLabels.Host, SeriesCap.Other, SeriesCap.Other), Histogram.Merge);

        writer.BeginFamily(ConnectDuration, "Time from connect() to ESTABLISHED of successful TCP connects, by process name, unit and container.", MetricType.Histogram);
        Span<ulong> cumulative = stackalloc ulong[bounds.Length];
        var buffer = new LabelBuffer();
        foreach (var ((container, process, unit), h) in Ordered(series))
        {
            ulong running = 0;
            for (int i = 0; i < bounds.Length; i++) cumulative[i] = running += h.Slots[i];
            running += h.Slots[bounds.Length];
            writer.Histogram(ConnectDuration, container.Append([new Label("process", process), new Label("unit", unit)], ref buffer), bounds, cumulative, h.Sum, running);
        }
    }

    private void WriteAccepts(ConnEventCounts counts, ExpositionWriter writer)
    {
        var byPort = new Dictionary<(ContainerLabels Container, string Port, string Unit), ulong>();
        foreach (var a in counts.Accepts)
        {
            var key = (ContainerLabels.Of(a.Container), LabelValues.Port(a.Port), a.Unit);
            byPort[key] = byPort.GetValueOrDefault(key) + a.Count;
        }
        var series = _acceptsCap.Apply<ulong>(byPort, v => v, (ContainerLabels.Host, SeriesCap.Other, SeriesCap.Other), (a, b) => a + b);
        writer.BeginFamily(Accepts, "TCP connections accepted (passive opens that reached ESTABLISHED) since the exporter attached, by local port and the unit and container of the listening socket.", MetricType.Counter);
        var buffer = new LabelBuffer();
        foreach (var ((container, port, unit), count) in series
                     .OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare))
                     .ThenBy(kv => kv.Key.Port.Length).ThenBy(kv => kv.Key.Port, StringComparer.Ordinal).ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal))
            writer.Sample(Accepts, container.Append([new Label("port", port), new Label("unit", unit)], ref buffer), count);
    }

    private void WritePids(ConnEventCounts counts, ExpositionWriter writer)
    {
        var byPid = new Dictionary<(string Pid, string Comm), ulong>();
        foreach (var p in counts.Pids)
        {
            var key = (p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Comm);
            byPid[key] = byPid.GetValueOrDefault(key) + p.Count;
        }
        var series = _pidCap.Apply<(string Pid, string Comm), ulong>(byPid, v => v, (SeriesCap.Other, SeriesCap.Other), (a, b) => a + b);
        // A gauge, as the original monitor typed it: the series goes away with its process.
        writer.BeginFamily(ConnectsByPid, "TCP connect attempts per live process id (the original monitor's metric; --collector.ebpf.per-pid).", MetricType.Gauge);
        foreach (var ((pid, comm), count) in series.OrderBy(kv => kv.Key.Pid.Length).ThenBy(kv => kv.Key.Pid, StringComparer.Ordinal))
            writer.Sample(ConnectsByPid, [new Label("comm", comm), new Label("pid", pid)], count);
    }

    private static void WriteHealth(ConnEventCounts counts, ExpositionWriter writer)
    {
        writer.BeginFamily(Attached, "Whether an eBPF program is attached to its tracepoint.", MetricType.Gauge);
        foreach (var p in counts.Programs)
            writer.Sample(Attached, [new Label("program", p.Program)], p.Attached ? 1UL : 0UL);
        writer.BeginFamily(EventsLost, "Connect outcomes that could not be attributed: the attempt began before the exporter attached, or its record was evicted.", MetricType.Counter);
        writer.Sample(EventsLost, counts.EventsLost);
        writer.BeginFamily(MapFull, "Events not counted because an eBPF map was full.", MetricType.Counter);
        foreach (var m in counts.MapFull.OrderBy(m => m.Map, StringComparer.Ordinal))
            writer.Sample(MapFull, [new Label("map", m.Map)], m.Count);
        writer.BeginFamily(MapEntriesRetired, "Map entries of cgroups that no longer exist, folded into the exporter's totals and deleted so the maps do not fill up.", MetricType.Counter);
        foreach (var r in counts.Retired.OrderBy(r => r.Map, StringComparer.Ordinal))
            writer.Sample(MapEntriesRetired, [new Label("map", r.Map)], r.Count);
    }

    /// <summary>The host's series first (as they were before containers had labels), then by container, process, unit.</summary>
    private static IEnumerable<KeyValuePair<(ContainerLabels Container, string Process, string Unit), T>> Ordered<T>(
        IEnumerable<KeyValuePair<(ContainerLabels Container, string Process, string Unit), T>> series) =>
        series.OrderBy(kv => kv.Key.Container, Comparer<ContainerLabels>.Create(ContainerLabels.Compare))
            .ThenBy(kv => kv.Key.Process, StringComparer.Ordinal).ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal);

    private static double Total(ulong[] cells)
    {
        ulong total = 0;
        foreach (var c in cells) total += c;
        return total;
    }

    private static ulong[] Add(ulong[] a, ulong[] b)
    {
        var sum = new ulong[a.Length];
        for (int i = 0; i < a.Length; i++) sum[i] = a[i] + b[i];
        return sum;
    }

    private readonly record struct Histogram(ulong[] Slots, double Sum)
    {
        public static Histogram Merge(Histogram a, Histogram b) => new(Add(a.Slots, b.Slots), a.Sum + b.Sum);
    }
}
