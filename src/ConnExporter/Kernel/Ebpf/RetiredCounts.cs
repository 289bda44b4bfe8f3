using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// The counts of map entries whose cgroup is gone, kept by their labels (process name, unit,
/// family, result / port) so the exported counters stay monotonic after the kernel entries are
/// deleted. Transient units have unique names, so this grows too, far slower than the maps
/// (one entry per label set, not per cgroup); past <see cref="MaxLabelSets"/> label sets per
/// family new ones fold into <c>other</c>.
/// </summary>
internal sealed class RetiredCounts
{
    public const int MaxLabelSets = 16384;
    private const string Other = "other";

    private readonly Dictionary<(string Process, string Unit, ContainerIdentity? Container, IpFamily Family, ConnectResult Result), ulong> _connects = [];
    private readonly Dictionary<(string Process, string Unit, ContainerIdentity? Container), (ulong[] Slots, double Sum)> _latencies = [];
    private readonly Dictionary<(ushort Port, string Unit, ContainerIdentity? Container), ulong> _accepts = [];
    private readonly Dictionary<TrafficCount, TrafficTotals> _traffic = [];

    public void Add(ConnectCount c)
    {
        var key = (c.Process, c.Unit, c.Container, c.Family, c.Result);
        if (!_connects.ContainsKey(key) && _connects.Count >= MaxLabelSets) key = (Other, Other, null, c.Family, c.Result);
        _connects[key] = _connects.GetValueOrDefault(key) + c.Count;
    }

    public void Add(ConnectLatency l)
    {
        var key = (l.Process, l.Unit, l.Container);
        if (!_latencies.ContainsKey(key) && _latencies.Count >= MaxLabelSets) key = (Other, Other, null);
        if (!_latencies.TryGetValue(key, out var h)) h = (new ulong[l.Slots.Length], 0);
        for (int i = 0; i < h.Slots.Length && i < l.Slots.Length; i++) h.Slots[i] += l.Slots[i];
        _latencies[key] = (h.Slots, h.Sum + l.SumSeconds);
    }

    public void Add(AcceptCount a)
    {
        var key = (a.Port, a.Unit, a.Container);
        if (!_accepts.ContainsKey(key) && _accepts.Count >= MaxLabelSets) key = (a.Port, Other, null);
        _accepts[key] = _accepts.GetValueOrDefault(key) + a.Count;
    }

    public void Add(TrafficCount t)
    {
        var key = t with { Totals = default };
        if (!_traffic.ContainsKey(key) && _traffic.Count >= MaxLabelSets)
            key = new TrafficCount(Other, Other, null, t.Direction, default, 0, default);
        _traffic[key] = _traffic.GetValueOrDefault(key) + t.Totals;
    }

    /// <summary>Adds the retired traffic totals to a read of the live entries.</summary>
    public void AppendTo(List<TrafficCount> traffic)
    {
        foreach (var (key, totals) in _traffic)
            traffic.Add(key with { Totals = totals });
    }

    /// <summary>Adds the retired totals to a read of the live entries (consumers sum equal labels).</summary>
    public void AppendTo(List<ConnectCount> connects, List<ConnectLatency> latencies, List<AcceptCount> accepts)
    {
        foreach (var ((process, unit, container, family, result), count) in _connects)
            connects.Add(new ConnectCount(process, unit, family, result, count, container));
        foreach (var ((process, unit, container), h) in _latencies)
            latencies.Add(new ConnectLatency(process, unit, (ulong[])h.Slots.Clone(), h.Sum, container));
        foreach (var ((port, unit, container), count) in _accepts)
            accepts.Add(new AcceptCount(port, unit, count, container));
    }
}
